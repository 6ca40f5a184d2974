//! Strings across the boundary: checked NUL-terminated UTF-8 in, caller buffers out.

use std::ffi::{CStr, c_char};

use crate::error::{lk_result, set_error};

/// Reads an optional NUL-terminated UTF-8 string.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn str_in<'a>(
    p: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, lk_result> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and NUL-terminated, as the caller promises.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map(Some).map_err(|_| {
        set_error(
            lk_result::LK_ERR_INVALID_UTF8,
            &format!("{name} is not valid UTF-8"),
        )
    })
}

/// Reads a required NUL-terminated UTF-8 string.
///
/// # Safety
/// As [`str_in`].
pub(crate) unsafe fn str_required<'a>(p: *const c_char, name: &str) -> Result<&'a str, lk_result> {
    // SAFETY: forwarded contract.
    match unsafe { str_in(p, name) }? {
        Some(s) => Ok(s),
        None => Err(crate::error::null(name)),
    }
}

/// Copies `s` and a NUL into `buf` (capacity `len`), setting `*needed` to `s.len() + 1`.
/// When it does not fit, writes as much as fits (NUL-terminated, when `len > 0`) and returns
/// LK_ERR_BUFFER_TOO_SMALL.
///
/// # Safety
/// `buf` must be NULL or valid for `len` bytes of writes; `needed` NULL or valid for writes.
pub(crate) unsafe fn write_out(
    s: &str,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> lk_result {
    let want = s.len() + 1;
    if !needed.is_null() {
        // SAFETY: non-NULL and valid for writes, as the caller promises.
        unsafe { *needed = want };
    }
    if buf.is_null() {
        return if len == 0 {
            set_error(lk_result::LK_ERR_BUFFER_TOO_SMALL, "no buffer given")
        } else {
            set_error(lk_result::LK_ERR_NULL_ARGUMENT, "buf is NULL")
        };
    }
    if len == 0 {
        return set_error(lk_result::LK_ERR_BUFFER_TOO_SMALL, "buffer of size 0");
    }
    let n = s.len().min(len - 1);
    // SAFETY: buf is valid for len bytes and n + 1 <= len; the regions cannot overlap since
    // s is Rust-owned.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr().cast::<c_char>(), buf, n);
        *buf.add(n) = 0;
    }
    if n < s.len() {
        set_error(
            lk_result::LK_ERR_BUFFER_TOO_SMALL,
            &format!("buffer too small: {want} bytes needed"),
        )
    } else {
        lk_result::LK_OK
    }
}
