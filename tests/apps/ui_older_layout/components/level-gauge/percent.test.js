import { percent } from "./percent.js";

test("a half-full tank is at 50 %", () => {
  expect(percent(50, 100)).toBe(50);
});
