/**
 * The shapes the simulator gives the incoming events it sends. The webhook
 * schema (wh.json) documents `body` as a string, `timestamp` as whole
 * seconds and attachments as `{url, mime, filename}`; the provider's SDK also
 * accepts each of the shapes below, so a receiver must too:
 * - 'documented' (default): as documented, no attachments;
 * - 'attachment-no-filename': a photo as `{url, mime}`;
 * - 'attachment-url': a photo as a plain URL string;
 * - 'null-body': a photo with `body: null` (a picture and no text);
 * - 'fractional-timestamp': timestamps with a fraction of a second;
 * - 'millisecond-timestamp': `data.timestamp` in milliseconds.
 */
export const INCOMING_SHAPES = ['documented', 'attachment-no-filename', 'attachment-url', 'null-body', 'fractional-timestamp', 'millisecond-timestamp'] as const;
export type IncomingShape = (typeof INCOMING_SHAPES)[number];

const PHOTO = 'https://cdn.example.com/incoming/IMG_0042.jpg';

export interface IncomingEvent {
  data: Record<string, unknown>;
  /** The envelope's timestamp, seconds (fractional for 'fractional-timestamp'). */
  timestamp: number;
}

/** An incoming reply (`from` the person, `to` our line) at `atMs`, in the given shape. */
export function shapeIncoming(shape: IncomingShape, channel: 'imessage' | 'sms', m: { from: string; to: string; body: string; atMs: number }): IncomingEvent {
  const seconds = Math.floor(m.atMs / 1000);
  const data: Record<string, unknown> = { from: m.from, to: m.to, body: m.body, timestamp: seconds };
  // SMS events carry no attachments field (text.incoming.sms).
  if (channel === 'imessage') data.attachments = [];
  let timestamp = seconds;
  switch (shape) {
    case 'attachment-no-filename':
      if (channel === 'imessage') data.attachments = [{ url: PHOTO, mime: 'image/jpeg' }];
      break;
    case 'attachment-url':
      if (channel === 'imessage') data.attachments = [PHOTO];
      break;
    case 'null-body':
      data.body = null;
      if (channel === 'imessage') data.attachments = [{ url: PHOTO, mime: 'image/jpeg', filename: 'IMG_0042.jpg' }];
      break;
    case 'fractional-timestamp':
      // Never a whole second, so that a parser expecting integers notices.
      timestamp = (Math.floor(m.atMs) + 1) / 1000 + 0.0005;
      data.timestamp = timestamp;
      break;
    case 'millisecond-timestamp':
      data.timestamp = Math.floor(m.atMs);
      break;
    case 'documented':
      break;
  }
  return { data, timestamp };
}
