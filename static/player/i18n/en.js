// English needs entries only where the key alone is not enough: plurals.
export default {
  '{n} hours': { one: '{n} hour', other: '{n} hours' },
  '{n} minutes': { one: '{n} minute', other: '{n} minutes' },
  '{n} seconds': { one: '{n} second', other: '{n} seconds' },
  '{n} matches': { one: '{n} match', other: '{n} matches' },
};
