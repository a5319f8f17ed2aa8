// The names the player's modules share, kept in one place as Media Chrome
// keeps its event names: a misspelt name is an undefined property where it
// is used, not a request that nothing answers or an event nobody hears.

/**
 * What a control asks of the player: player.request(REQUEST.X, value).
 * Values: SEEK seconds, SKIP ± seconds, VOLUME 0–1, RATE 0.5–2, CAPTIONS a
 * language ('' off), FULLSCREEN true/false; omitted, a request toggles.
 */
export const REQUEST = {
  PLAY: 'play', PAUSE: 'pause', TOGGLE: 'toggle', SEEK: 'seek', SKIP: 'skip', VOLUME: 'volume',
  MUTE: 'mute', RATE: 'rate', CAPTIONS: 'captions', DESCRIPTIONS: 'descriptions',
  TRANSCRIPT: 'transcript', FULLSCREEN: 'fullscreen', PIP: 'pip', SETTINGS: 'settings',
  SHORTCUTS: 'shortcuts', RETRY: 'retry',
};

/**
 * What the player tells: player.on(EVENT.X, (detail) => …), and a DOM event
 * named EVENT_PREFIX + EVENT.X on the player's element. Details: STATE the
 * state, CAPTIONS {track}, DESCRIPTIONS {on}, TRANSCRIPT {shown}; SPEECH:
 * speaking descriptions was turned on or off.
 */
export const EVENT = {
  STATE: 'state', READY: 'ready', ERROR: 'error', CAPTIONS: 'captions',
  DESCRIPTIONS: 'descriptions', TRANSCRIPT: 'transcript', SPEECH: 'speech',
};
export const EVENT_PREFIX = 'ap:';

// The speeds the speed menu offers and the < and > keys step through.
export const RATES = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];
