/**
 * WebSocket frames of the stand-in's `data` messages, built so that a publish to N subscribers is
 * encoded once: `{"type":"data","id":<subscription id>,"event":<the event's JSON text as a JSON
 * string>}`. The part before the event is the subscription's own and is encoded once when it
 * subscribes (`dataHead`); the event part is encoded once per publish (`dataTail`); per delivery
 * only the 2-10 byte frame header is made and three buffers are copied into one write.
 *
 * Server frames are unmasked (RFC 6455 5.1), text opcode, FIN set, never fragmented.
 */

/** The subscription's part of every `data` frame it receives. */
export function dataHead(subscriptionId: string): Buffer {
  return Buffer.from(`{"type":"data","id":${JSON.stringify(subscriptionId)},"event":`, 'utf8');
}

/** The shared part of one event's `data` frames: the event text as a JSON string, and the closing brace. */
export function dataTail(eventText: string): Buffer {
  return Buffer.from(`${JSON.stringify(eventText)}}`, 'utf8');
}

/** A whole text frame (header and payload) for `head` + `tail`, in one buffer. */
function textFrame(head: Buffer, tail: Buffer): Buffer {
  const length = head.length + tail.length;
  const frame = Buffer.allocUnsafe(headerLength(length) + length);
  writeFrame(frame, 0, head, tail);
  return frame;
}

function headerLength(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 65_536 ? 4 : 10;
}

/** Writes the frame of `head` + `tail` into `target` at `at`; returns where it ends. */
function writeFrame(target: Buffer, at: number, head: Buffer, tail: Buffer): number {
  const length = head.length + tail.length;
  const header = headerLength(length);
  target[at] = 0x81;
  if (header === 2) {
    target[at + 1] = length;
  } else if (header === 4) {
    target[at + 1] = 126;
    target.writeUInt16BE(length, at + 2);
  } else {
    target[at + 1] = 127;
    target.writeUInt32BE(0, at + 2);
    target.writeUInt32BE(length, at + 6);
  }
  head.copy(target, at + header);
  tail.copy(target, at + header + head.length);
  return at + header + length;
}

/** One text frame per tail (each `head` + that tail), back to back in one buffer: one socket write. */
export function textFrames(head: Buffer, tails: readonly Buffer[]): Buffer {
  let size = 0;
  for (const tail of tails) size += headerLength(head.length + tail.length) + head.length + tail.length;
  const frames = Buffer.allocUnsafe(size);
  let at = 0;
  for (const tail of tails) at = writeFrame(frames, at, head, tail);
  return frames;
}

/** A text frame of a message sent to every connection alike (`ka`). */
export function sharedTextFrame(text: string): Buffer {
  return textFrame(Buffer.alloc(0), Buffer.from(text, 'utf8'));
}
