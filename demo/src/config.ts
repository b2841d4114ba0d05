import type { DemoConfig } from './demo-config.js';

export function readConfig(): DemoConfig {
  const element = document.getElementById('demo-config');
  if (!element?.textContent) throw new Error('the page shell has no #demo-config');
  return JSON.parse(element.textContent) as DemoConfig;
}
