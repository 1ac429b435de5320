/**
 * rust_decimal as zen-engine uses it (see decimal/core.ts for why it is ported), one module per
 * concern; callers import this facade.
 */
export { Dec, ONE, ZERO, compare, decFromInt, equals, isZero } from './decimal/core.js';
export { decFromJsNumber, decToJsNumber, formatDecimal, parseDecimal, withNumber } from './decimal/conversion.js';
export { absolute, add, multiply, negate, power, remainder, subtract } from './decimal/arithmetic.js';
export { divide } from './decimal/division.js';
export { ceil, floor, round, toInteger, truncate } from './decimal/rounding.js';
