//! Numbers: integers, and floats computed with serde_json's arithmetic.

use super::{Code, Parser, Result};
use serde_json::{Number, Value};
use std::sync::OnceLock;

impl<'a> Parser<'a> {
    /// A number after its sign: an unsigned integer, a negative one, or a float (fractions,
    /// exponents, `-0`, integers beyond 64 bits), computed as serde_json computes it.
    pub(super) fn integer(&mut self, positive: bool) -> Result<Value> {
        let Some(first) = self.next_char() else {
            return Err(self.error(Code::EofWhileParsingValue));
        };
        let mut significand: u64 = match first {
            b'0' => {
                if self.peek_or_null().is_ascii_digit() {
                    return Err(self.peek_error(Code::InvalidNumber));
                }
                0
            }
            b'1'..=b'9' => u64::from(first - b'0'),
            _ => return Err(self.error(Code::InvalidNumber)),
        };
        if first != b'0' {
            while let c @ b'0'..=b'9' = self.peek_or_null() {
                let digit = u64::from(c - b'0');
                match significand
                    .checked_mul(10)
                    .and_then(|s| s.checked_add(digit))
                {
                    Some(s) => {
                        self.eat();
                        significand = s;
                    }
                    None => {
                        // Beyond 64 bits: a float, the further digits only scaling it.
                        let f = self.long_integer(positive, significand)?;
                        return Ok(float(f));
                    }
                }
            }
        }
        match self.peek_or_null() {
            b'.' => self.decimal(positive, significand, 0).map(float),
            b'e' | b'E' => self.exponent(positive, significand, 0).map(float),
            _ if positive => Ok(Value::Number(Number::from(significand))),
            _ => {
                let negative = (significand as i64).wrapping_neg();
                if negative >= 0 {
                    // `-0`, or below i64::MIN.
                    Ok(float(-(significand as f64)))
                } else {
                    Ok(Value::Number(Number::from(negative)))
                }
            }
        }
    }

    #[cold]
    fn long_integer(&mut self, positive: bool, significand: u64) -> Result<f64> {
        let mut exponent: i32 = 0;
        loop {
            match self.peek_or_null() {
                b'0'..=b'9' => {
                    self.eat();
                    exponent = exponent.saturating_add(1);
                }
                b'.' => return self.decimal(positive, significand, exponent),
                b'e' | b'E' => return self.exponent(positive, significand, exponent),
                _ => return self.scaled(positive, significand, exponent),
            }
        }
    }

    /// At the decimal point.
    fn decimal(&mut self, positive: bool, mut significand: u64, before: i32) -> Result<f64> {
        self.eat();
        let mut after: i32 = 0;
        while let c @ b'0'..=b'9' = self.peek_or_null() {
            let digit = u64::from(c - b'0');
            match significand
                .checked_mul(10)
                .and_then(|s| s.checked_add(digit))
            {
                Some(s) => {
                    self.eat();
                    significand = s;
                    after -= 1;
                }
                None => {
                    // The further digits are dropped.
                    while self.peek_or_null().is_ascii_digit() {
                        self.eat();
                    }
                    let exponent = before + after;
                    return match self.peek_or_null() {
                        b'e' | b'E' => self.exponent(positive, significand, exponent),
                        _ => self.scaled(positive, significand, exponent),
                    };
                }
            }
        }
        if after == 0 {
            return Err(match self.peek() {
                Some(_) => self.peek_error(Code::InvalidNumber),
                None => self.peek_error(Code::EofWhileParsingValue),
            });
        }
        let exponent = before + after;
        match self.peek_or_null() {
            b'e' | b'E' => self.exponent(positive, significand, exponent),
            _ => self.scaled(positive, significand, exponent),
        }
    }

    /// At the `e`.
    fn exponent(&mut self, positive: bool, significand: u64, start: i32) -> Result<f64> {
        self.eat();
        let positive_exp = match self.peek_or_null() {
            b'+' => {
                self.eat();
                true
            }
            b'-' => {
                self.eat();
                false
            }
            _ => true,
        };
        let mut exp: i32 = match self.next_char() {
            None => return Err(self.error(Code::EofWhileParsingValue)),
            Some(c @ b'0'..=b'9') => i32::from(c - b'0'),
            Some(_) => return Err(self.error(Code::InvalidNumber)),
        };
        while let c @ b'0'..=b'9' = self.peek_or_null() {
            self.eat();
            match exp
                .checked_mul(10)
                .and_then(|e| e.checked_add(i32::from(c - b'0')))
            {
                Some(e) => exp = e,
                None => {
                    // Far beyond any float: infinity is refused, zero is zero.
                    if significand != 0 && positive_exp {
                        return Err(self.error(Code::NumberOutOfRange));
                    }
                    while self.peek_or_null().is_ascii_digit() {
                        self.eat();
                    }
                    return Ok(if positive { 0.0 } else { -0.0 });
                }
            }
        }
        let exponent = if positive_exp {
            start.saturating_add(exp)
        } else {
            start.saturating_sub(exp)
        };
        self.scaled(positive, significand, exponent)
    }

    /// `significand` × 10^`exponent`, by serde_json's arithmetic (one multiplication or
    /// division by a power of ten, so the last bit can differ from the closest float).
    fn scaled(&self, positive: bool, significand: u64, mut exponent: i32) -> Result<f64> {
        let mut f = significand as f64;
        loop {
            match pow10(exponent.unsigned_abs()) {
                Some(pow) => {
                    if exponent >= 0 {
                        f *= pow;
                        if f.is_infinite() {
                            return Err(self.error(Code::NumberOutOfRange));
                        }
                    } else {
                        f /= pow;
                    }
                    break;
                }
                None => {
                    if f == 0.0 {
                        break;
                    }
                    if exponent >= 0 {
                        return Err(self.error(Code::NumberOutOfRange));
                    }
                    f /= 1e308;
                    exponent += 308;
                }
            }
        }
        Ok(if positive { f } else { -f })
    }
}

/// A float as a tree's number (serde_json's `Value::from(f64)`).
fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// 10^`n` for `n` up to 308: the float closest to it, as the literal `1e<n>` is. The 309
/// values are computed on first use (a few thousand operations) instead of kept as a 2.4 KB
/// table in every module.
fn pow10(n: u32) -> Option<f64> {
    // In the static itself, not on the heap: the OPA module's heap is reset after every
    // evaluation, so a table allocated there would be overwritten by the next one.
    static TABLE: OnceLock<[f64; 309]> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        // 10^k as base-2^32 digits, least significant first.
        let mut big: Vec<u32> = vec![1];
        let mut table = [0.0; 309];
        for slot in table.iter_mut() {
            *slot = closest_float(&big);
            let mut carry = 0u64;
            for digit in big.iter_mut() {
                let x = u64::from(*digit) * 10 + carry;
                *digit = x as u32;
                carry = x >> 32;
            }
            if carry != 0 {
                big.push(carry as u32);
            }
        }
        table
    });
    table.get(n as usize).copied()
}

/// The float closest to the integer `digits` (base 2^32, least significant first; below
/// 2^1024), ties to even: its top 64 bits, with a sticky bit for any set below them, rounded
/// by the `u64` to `f64` conversion, then scaled by a power of two (exact).
fn closest_float(digits: &[u32]) -> f64 {
    let mut top = 0u64;
    let mut kept = 0;
    let mut dropped = 0;
    let mut sticky = false;
    for &digit in digits.iter().rev() {
        for i in (0..32).rev() {
            let bit = (digit >> i) & 1;
            if kept == 0 && bit == 0 {
                continue;
            }
            if kept < 64 {
                top = top << 1 | u64::from(bit);
                kept += 1;
            } else {
                sticky |= bit == 1;
                dropped += 1;
            }
        }
    }
    if sticky {
        top |= 1;
    }
    top as f64 * f64::from_bits((dropped + 1023) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pow10_is_the_closest_float() {
        for n in 0..=308u32 {
            let want: f64 = format!("1e{n}").parse().unwrap_or(f64::NAN);
            assert_eq!(pow10(n), Some(want), "10^{n}");
        }
        assert_eq!(pow10(309), None);
        // 2^64 + d: the floats there are 4096 apart, so d = 2048 is a tie (to even), and a
        // bit below the 64 kept ones (d = 2049) decides it upwards.
        let two64 = 2f64.powi(64);
        assert_eq!(closest_float(&[2049, 0, 1]), two64 + 4096.0);
        assert_eq!(closest_float(&[2048, 0, 1]), two64);
        assert_eq!(closest_float(&[2047, 0, 1]), two64);
        assert_eq!(closest_float(&[6144, 0, 1]), two64 + 8192.0);
        assert_eq!(closest_float(&[7, 0]), 7.0);
    }
}
