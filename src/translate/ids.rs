//! Id helpers of the translation: which direction pads, which converts.

use crate::ids::{misskey_to_pnut, pnut_id_to_misskey};

use super::error::{TranslateError, id_err};
use super::options::Options;

/// A pnut id as Misskey clients see it (zero-padded, Misskey front).
pub(crate) fn pnut_to_client(
    id: &str,
    field: &'static str,
    opts: &Options,
) -> Result<String, TranslateError> {
    pnut_id_to_misskey(id, opts.pnut_id_width).map_err(id_err(field))
}

/// A Misskey server id as pnut tools see it (decimal, pnut front).
pub(crate) fn misskey_to_tool(
    id: &str,
    field: &'static str,
    opts: &Options,
) -> Result<String, TranslateError> {
    misskey_to_pnut(id, opts.id_format).map_err(id_err(field))
}
