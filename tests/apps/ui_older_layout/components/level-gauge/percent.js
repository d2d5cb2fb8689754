export function percent(level, capacity) {
  return capacity > 0 ? Math.round((100 * level) / capacity) : 0;
}
