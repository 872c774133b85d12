function sumDigits(n) {
  let total = 0;
  for (const d of String(Math.abs(n))) total += Number(d);
  return total;
}
module.exports = { sumDigits };
