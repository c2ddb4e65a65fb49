//! Asks Linux to back a large buffer with 2 MB pages (transparent huge pages, `madvise` mode).
//!
//! Training draws its rows at random from the whole pixel buffer (47 MB for Fashion-MNIST), so
//! with 4 KB pages nearly every row costs a TLB miss and a page walk on top of its cache miss;
//! 2 MB pages cover the buffer with 24 TLB entries. Only a hint: where the kernel refuses or huge
//! pages are off, nothing changes, and the contents are never affected.

/// Advises huge pages for the not-yet-touched capacity of `buf` (call it right after reserving,
/// before filling: the kernel decides the page size when a page is first touched).
pub fn advise(buf: &mut Vec<u8>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = buf.as_mut_ptr() as usize;
        let end = start + buf.capacity();
        let (lo, hi) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
        if hi > lo {
            // SAFETY: [lo, hi) lies inside `buf`'s allocation; MADV_HUGEPAGE changes no contents
            // and cannot fail in a way that matters (its result is ignored).
            unsafe {
                libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}
