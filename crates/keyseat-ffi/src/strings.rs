//! Strings across the boundary: checked NUL-terminated UTF-8 in, caller buffers out.

use std::ffi::{CStr, c_char};

use crate::error::{ks_result, set_error};

/// Reads an optional NUL-terminated UTF-8 string.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn str_in<'a>(
    p: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, ks_result> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and NUL-terminated, as the caller promises.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map(Some).map_err(|_| {
        set_error(
            ks_result::KS_ERR_INVALID_UTF8,
            &format!("{name} is not valid UTF-8"),
        )
    })
}

/// Reads a required NUL-terminated UTF-8 string.
///
/// # Safety
/// As [`str_in`].
pub(crate) unsafe fn str_required<'a>(p: *const c_char, name: &str) -> Result<&'a str, ks_result> {
    // SAFETY: forwarded contract.
    match unsafe { str_in(p, name) }? {
        Some(s) => Ok(s),
        None => Err(crate::error::null(name)),
    }
}

/// Why [`copy_out`] could not copy the whole string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shortfall {
    /// `buf` was NULL with a non-zero `len`.
    NullBuffer,
    /// No buffer: NULL with `len` 0 (the "ask for the size" call).
    NoBuffer,
    /// A buffer of size 0.
    Empty,
    /// The buffer holds a truncated, NUL-terminated prefix; `needed` more bytes were wanted.
    Truncated {
        /// The size needed, NUL included.
        needed: usize,
    },
}

impl Shortfall {
    /// The result code and message of this shortfall.
    fn describe(self) -> (ks_result, String) {
        match self {
            Shortfall::NullBuffer => (ks_result::KS_ERR_NULL_ARGUMENT, "buf is NULL".into()),
            Shortfall::NoBuffer => (ks_result::KS_ERR_BUFFER_TOO_SMALL, "no buffer given".into()),
            Shortfall::Empty => (
                ks_result::KS_ERR_BUFFER_TOO_SMALL,
                "buffer of size 0".into(),
            ),
            Shortfall::Truncated { needed } => (
                ks_result::KS_ERR_BUFFER_TOO_SMALL,
                format!("buffer too small: {needed} bytes needed"),
            ),
        }
    }

    /// The result code alone.
    pub(crate) fn code(self) -> ks_result {
        self.describe().0
    }
}

/// Copies `s` and a NUL into `buf` (capacity `len`), setting `*needed` to `s.len() + 1`.
/// When it does not fit, writes as much as fits (NUL-terminated, when `len > 0`). Records
/// nothing as the thread's last error: [`write_out`] does, and the last-error reader must
/// not.
///
/// # Safety
/// `buf` must be NULL or valid for `len` bytes of writes; `needed` NULL or valid for writes.
pub(crate) unsafe fn copy_out(
    s: &str,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> Result<(), Shortfall> {
    let want = s.len() + 1;
    if !needed.is_null() {
        // SAFETY: non-NULL and valid for writes, as the caller promises.
        unsafe { *needed = want };
    }
    if buf.is_null() {
        return Err(if len == 0 {
            Shortfall::NoBuffer
        } else {
            Shortfall::NullBuffer
        });
    }
    if len == 0 {
        return Err(Shortfall::Empty);
    }
    let n = s.len().min(len - 1);
    // SAFETY: buf is valid for len bytes and n + 1 <= len; the regions cannot overlap since
    // s is Rust-owned.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr().cast::<c_char>(), buf, n);
        *buf.add(n) = 0;
    }
    if n < s.len() {
        Err(Shortfall::Truncated { needed: want })
    } else {
        Ok(())
    }
}

/// [`copy_out`], recording a shortfall as the thread's last error:
/// KS_ERR_BUFFER_TOO_SMALL (or KS_ERR_NULL_ARGUMENT for a NULL buffer of non-zero size).
///
/// # Safety
/// As [`copy_out`].
pub(crate) unsafe fn write_out(
    s: &str,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> ks_result {
    // SAFETY: forwarded contract.
    match unsafe { copy_out(s, buf, len, needed) } {
        Ok(()) => ks_result::KS_OK,
        Err(shortfall) => {
            let (code, msg) = shortfall.describe();
            set_error(code, &msg)
        }
    }
}
