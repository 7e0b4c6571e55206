//! Misskey id (in its format's alphabet) ⇄ decimal string, stateless and order-preserving.

use super::IdError;
use super::IdFormat;
use super::bignum::BigUint;

/// Length of an `aid` id.
const AID_LEN: usize = 10;
/// Length of an `aidx` id.
const AIDX_LEN: usize = 16;

/// How one kind of id is written: alphabet (in ascending ASCII order), digit count, prefix.
struct Layout {
    name: &'static str,
    alphabet: &'static [u8],
    digits: usize,
    prefix: &'static str,
}

const BASE36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";
const CROCKFORD: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const AID: Layout = Layout {
    name: "aid",
    alphabet: BASE36,
    digits: AID_LEN,
    prefix: "",
};
const AIDX: Layout = Layout {
    name: "aidx",
    alphabet: BASE36,
    digits: AIDX_LEN,
    prefix: "",
};
const MEID: Layout = Layout {
    name: "meid",
    alphabet: HEX,
    digits: 24,
    prefix: "",
};
const MEIDG: Layout = Layout {
    name: "meidg",
    alphabet: HEX,
    digits: 23,
    prefix: "g",
};
const OBJECTID: Layout = Layout {
    name: "objectid",
    alphabet: HEX,
    digits: 24,
    prefix: "",
};
const ULID: Layout = Layout {
    name: "ulid",
    alphabet: CROCKFORD,
    digits: 26,
    prefix: "",
};

impl Layout {
    fn radix(&self) -> u32 {
        self.alphabet.len() as u32
    }

    /// Reads `digits` (prefix already removed) as a number in this alphabet.
    fn read(&self, digits: &str) -> Result<BigUint, IdError> {
        let mut value = BigUint::default();
        for byte in digits.bytes() {
            let digit = self
                .alphabet
                .iter()
                .position(|&c| c == byte)
                .ok_or(IdError::BadCharacter { format: self.name })?;
            value.mul_add(self.radix(), digit as u32);
        }
        Ok(value)
    }

    /// Prints `value` in this alphabet, left-padded to the digit count, with the prefix.
    fn write(&self, mut value: BigUint) -> Result<String, IdError> {
        let mut reversed = Vec::with_capacity(self.digits);
        while !value.is_zero() {
            let digit = value.div_rem(self.radix()) as usize;
            let byte = self.alphabet.get(digit).copied().unwrap_or(b'0');
            reversed.push(byte);
            if reversed.len() > self.digits {
                return Err(IdError::OutOfRange { format: self.name });
            }
        }
        let mut out = String::with_capacity(self.prefix.len() + self.digits);
        out.push_str(self.prefix);
        out.extend(std::iter::repeat_n('0', self.digits - reversed.len()));
        out.extend(reversed.iter().rev().map(|&b| char::from(b)));
        Ok(out)
    }

    /// Whether `value` fits in this layout's digit count.
    fn fits(&self, value: &BigUint) -> bool {
        self.write(value.clone()).is_ok()
    }
}

fn layout_of(format: IdFormat) -> &'static Layout {
    match format {
        IdFormat::Aid => &AID,
        IdFormat::Aidx => &AIDX,
        IdFormat::Meid => &MEID,
        IdFormat::Meidg => &MEIDG,
        IdFormat::Objectid => &OBJECTID,
        IdFormat::Ulid => &ULID,
    }
}

/// Maps a Misskey id of format `format` to a decimal pnut id.
///
/// For `aid` and `aidx` the length decides: 10 chars are read as `aid`, 16 as `aidx`.
/// An `aidx` id below 36^10 (first six chars `0`) is refused as [`IdError::Ambiguous`].
pub fn misskey_to_pnut(id: &str, format: IdFormat) -> Result<String, IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    let layout = match format {
        IdFormat::Aid | IdFormat::Aidx => match id.len() {
            AID_LEN => &AID,
            AIDX_LEN => &AIDX,
            len => {
                return Err(IdError::WrongLength {
                    len,
                    format: layout_of(format).name,
                });
            }
        },
        other => layout_of(other),
    };
    let digits = id
        .strip_prefix(layout.prefix)
        .ok_or(IdError::BadCharacter {
            format: layout.name,
        })?;
    if digits.len() != layout.digits {
        return Err(IdError::WrongLength {
            len: id.len(),
            format: layout.name,
        });
    }
    let value = layout.read(digits)?;
    if std::ptr::eq(layout, &AIDX) && AID.fits(&value) {
        return Err(IdError::Ambiguous);
    }
    Ok(value.to_decimal())
}

/// Maps a decimal pnut id back to a Misskey id of format `format` (left-padded to its length).
///
/// For `aid` and `aidx` the value decides: below 36^10 it is printed as a 10-char `aid`,
/// otherwise as a 16-char `aidx`.
pub fn pnut_to_misskey(decimal: &str, format: IdFormat) -> Result<String, IdError> {
    if decimal.is_empty() {
        return Err(IdError::Empty);
    }
    let value = BigUint::from_decimal(decimal).ok_or(IdError::NotDecimal)?;
    match format {
        IdFormat::Aid | IdFormat::Aidx => {
            if AID.fits(&value) {
                AID.write(value)
            } else {
                AIDX.write(value).map_err(|_| IdError::OutOfRange {
                    format: layout_of(format).name,
                })
            }
        }
        other => layout_of(other).write(value),
    }
}
