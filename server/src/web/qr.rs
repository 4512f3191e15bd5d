//! The authenticator secret's QR code, drawn as inline SVG on the server: no script, no image
//! request, nothing that leaves the page.
//!
//! Each row's dark modules are merged into runs, drawn as one-module-wide strokes with relative
//! moves, so a version-6 code (the size of an `otpauth://` URI) costs about 3 KB of markup.

use qrcodegen_no_heap::{QrCode, QrCodeEcc, Version};

/// Light modules around the code (the QR standard's quiet zone).
const QUIET: i32 = 4;

/// An SVG of a QR code of `text` (medium error correction), `None` if it is too long for any
/// QR version. `label` is its accessible name.
pub fn svg(text: &str, label: &str) -> Option<String> {
    let len = Version::MAX.buffer_len();
    let (mut temp, mut out) = (vec![0u8; len], vec![0u8; len]);
    let code = QrCode::encode_text(
        text,
        &mut temp,
        &mut out,
        QrCodeEcc::Medium,
        Version::MIN,
        Version::MAX,
        None,
        true,
    )
    .ok()?;
    let size = code.size();
    let side = size + 2 * QUIET;
    // Each row is one horizontal stroke per run of dark modules, moving relatively: a row
    // starts with `M x y`, each run is `m gap 0 h len`.
    let mut path = String::new();
    for y in 0..size {
        let (mut x, mut pen) = (0, None::<i32>);
        while x < size {
            if !code.get_module(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < size && code.get_module(x, y) {
                x += 1;
            }
            match pen {
                None => path.push_str(&format!("M{} {}.5", start + QUIET, y + QUIET)),
                Some(end) => path.push_str(&format!("m{} 0", start - end)),
            }
            path.push_str(&format!("h{}", x - start));
            pen = Some(x);
        }
    }
    let label = maud::html! { (label) }.into_string();
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" role=\"img\" \
         aria-label=\"{label}\" class=\"qr\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path stroke=\"#000\" d=\"{path}\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_otpauth_uri_fits_a_few_kilobytes_of_svg() {
        let uri = "otpauth://totp/Padlock:alex@outlook.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Padlock&algorithm=SHA1&digits=6&period=30";
        let svg = svg(uri, "QR <code>").unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("aria-label=\"QR &lt;code&gt;\""));
        assert!(svg.len() < 4000, "{} bytes", svg.len());
        assert!(super::svg(&"x".repeat(5000), "too long").is_none());
    }
}
