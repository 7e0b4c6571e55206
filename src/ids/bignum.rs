//! A tiny unsigned big number (base 10^9 limbs) — just enough to convert ids of up to
//! 130 bits between an alphabet and decimal without overflow.

/// One limb holds nine decimal digits.
const LIMB_BASE: u64 = 1_000_000_000;

/// An unsigned integer of any size, little-endian limbs in base 10^9, no trailing zero limbs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BigUint {
    limbs: Vec<u32>,
}

impl BigUint {
    /// Whether the value is zero.
    pub(crate) fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    /// `self = self * mul + add` (both below 2^32, so a limb step fits in u64).
    pub(crate) fn mul_add(&mut self, mul: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in self.limbs.iter_mut() {
            let value = u64::from(*limb) * u64::from(mul) + carry;
            *limb = (value % LIMB_BASE) as u32;
            carry = value / LIMB_BASE;
        }
        while carry > 0 {
            self.limbs.push((carry % LIMB_BASE) as u32);
            carry /= LIMB_BASE;
        }
        self.trim();
    }

    /// `self = self / divisor`, returns the remainder. `divisor` must be non-zero.
    pub(crate) fn div_rem(&mut self, divisor: u32) -> u32 {
        let divisor = u64::from(divisor.max(1));
        let mut remainder = 0u64;
        for limb in self.limbs.iter_mut().rev() {
            let value = remainder * LIMB_BASE + u64::from(*limb);
            *limb = (value / divisor) as u32;
            remainder = value % divisor;
        }
        self.trim();
        remainder as u32
    }

    /// Parses a non-empty string of ASCII decimal digits (leading zeros allowed).
    pub(crate) fn from_decimal(text: &str) -> Option<Self> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut value = Self::default();
        for byte in text.bytes() {
            value.mul_add(10, u32::from(byte - b'0'));
        }
        Some(value)
    }

    /// Prints the value in decimal, without leading zeros (`"0"` for zero).
    pub(crate) fn to_decimal(&self) -> String {
        let Some((top, rest)) = self.limbs.split_last() else {
            return "0".to_owned();
        };
        let mut out = top.to_string();
        for limb in rest.iter().rev() {
            out.push_str(&format!("{limb:09}"));
        }
        out
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BigUint;

    #[test]
    fn decimal_round_trip_keeps_large_values() {
        let text = "1361129467683753853853498429727072845823";
        let value = BigUint::from_decimal(text).unwrap();
        assert_eq!(value.to_decimal(), text);
    }

    #[test]
    fn div_rem_divides() {
        let mut value = BigUint::from_decimal("1000000000000000000007").unwrap();
        assert_eq!(value.div_rem(10), 7);
        assert_eq!(value.to_decimal(), "100000000000000000000");
        assert_eq!(BigUint::from_decimal("000").unwrap().to_decimal(), "0");
        assert!(BigUint::from_decimal("12a").is_none());
    }
}
