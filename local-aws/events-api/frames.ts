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
export function textFrame(head: Buffer, tail: Buffer): Buffer {
  const length = head.length + tail.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (headerLength === 2) {
    frame[1] = length;
  } else if (headerLength === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(0, 2);
    frame.writeUInt32BE(length, 6);
  }
  head.copy(frame, headerLength);
  tail.copy(frame, headerLength + head.length);
  return frame;
}

/** A text frame of a message sent to every connection alike (`ka`). */
export function sharedTextFrame(text: string): Buffer {
  return textFrame(Buffer.alloc(0), Buffer.from(text, 'utf8'));
}
