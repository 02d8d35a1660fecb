//! Files in chats (`im.v2.File.*`, `im.disk.*`): a file is sent as a
//! message of its own, kept in its chat's folder, its content stored once
//! by its SHA-256 (the data directory on SQLite, the database on
//! PostgreSQL, so every node serves it).

use sha2::{Digest, Sha256};

use super::{ChatId, MessageId, Timestamp, UserId};

/// The largest file accepted, as on portals: 100 MB.
pub const MAX_FILE_BYTES: usize = 100 * 1024 * 1024;

/// The longest file name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 255;

/// The folder name `im.disk.file.save` copies into.
pub const SAVED_FOLDER: &str = "Saved Files";

/// What the pages call a file's `type`, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    File,
    Image,
    Video,
    Audio,
}

impl FileKind {
    pub fn of(extension: &str) -> Self {
        match extension {
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp" => FileKind::Image,
            "mp4" | "mov" | "webm" | "avi" | "mkv" => FileKind::Video,
            "mp3" | "ogg" | "wav" | "m4a" | "flac" => FileKind::Audio,
            _ => FileKind::File,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::File => "file",
            FileKind::Image => "image",
            FileKind::Video => "video",
            FileKind::Audio => "audio",
        }
    }
}

/// The lowercase extension of a file name (`""` when none).
pub fn extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => ext.to_lowercase(),
        _ => String::new(),
    }
}

/// A file name as kept: trimmed, without any folder part, at most
/// [`MAX_NAME_CHARS`]; `None` when nothing is left.
pub fn clean_name(raw: &str) -> Option<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    // Control characters, and the bidirectional marks that make
    // `report\u{202e}fdp.exe` look like `report.exe`-less text, are refused.
    let spoofing = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if base.is_empty() || base == "." || base == ".." || base.chars().any(spoofing) {
        return None;
    }
    Some(base.chars().take(MAX_NAME_CHARS).collect())
}

/// Width and height of a PNG, GIF or JPEG image, read from its header.
pub fn image_size(bytes: &[u8]) -> Option<(i64, i64)> {
    let be32 = |b: &[u8]| i64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    if bytes.len() >= 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR" {
        return Some((be32(&bytes[16..20]), be32(&bytes[20..24])));
    }
    if bytes.len() >= 10 && (bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")) {
        let w = i64::from(u16::from_le_bytes([bytes[6], bytes[7]]));
        let h = i64::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        return Some((w, h));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        // Walk the JPEG segments to the first start-of-frame marker.
        let mut i = 2;
        while i + 9 < bytes.len() {
            if bytes[i] != 0xFF {
                return None;
            }
            let marker = bytes[i + 1];
            let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
            let sof = matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF);
            if sof {
                let h = i64::from(u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]));
                let w = i64::from(u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]));
                return Some((w, h));
            }
            i += 2 + len;
        }
    }
    None
}

/// The extension of a PNG, GIF or JPEG image by its first bytes.
pub fn image_extension(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG") {
        Some("png")
    } else if bytes.starts_with(b"GIF8") {
        Some("gif")
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        Some("jpg")
    } else {
        None
    }
}

/// The largest chat picture, in pixels each way.
pub const MAX_AVATAR_SIDE: i64 = 5000;

/// The SHA-256 of a file's content, in lowercase hex: its content's name.
pub fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A file to store, its content already kept under `hash`.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub name: String,
    pub size: i64,
    pub hash: String,
    /// Width and height, for an image whose header could be read.
    pub dimensions: Option<(i64, i64)>,
}

impl NewFile {
    pub fn of(name: String, bytes: &[u8]) -> Self {
        NewFile {
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            hash: content_hash(bytes),
            dimensions: image_size(bytes),
            name,
        }
    }
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub id: i64,
    pub folder: i64,
    /// The chat it was sent to (`None` for a copy in Saved Files).
    pub chat: Option<ChatId>,
    pub message: Option<MessageId>,
    pub author: UserId,
    pub author_name: String,
    pub name: String,
    pub size: i64,
    pub hash: String,
    pub dimensions: Option<(i64, i64)>,
    pub created_at: Timestamp,
}

impl StoredFile {
    pub fn extension(&self) -> String {
        extension(&self.name)
    }

    pub fn kind(&self) -> FileKind {
        FileKind::of(&self.extension())
    }
}

/// What sending a file came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilePosted {
    Posted { file: i64, message: MessageId },
    NotMember,
    NoChat,
}

/// What `im.disk.file.delete` came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileDeleted {
    /// Deleted, or the caller is in the chat but did not send it (kept):
    /// both `true` on portals.
    Done,
    /// No such file in that chat, or the caller is not in it.
    NoAccess,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_kinds() {
        assert_eq!(extension("Report.PDF"), "pdf");
        assert_eq!(extension(".bashrc"), "");
        assert_eq!(extension("noext"), "");
        assert_eq!(FileKind::of("jpg"), FileKind::Image);
        assert_eq!(FileKind::of("pdf").as_str(), "file");
        assert_eq!(clean_name("../../etc/passwd"), Some("passwd".into()));
        assert_eq!(clean_name("C:\\docs\\a.txt"), Some("a.txt".into()));
        assert_eq!(clean_name("  "), None);
        assert_eq!(clean_name(".."), None);
        assert_eq!(clean_name("report\u{202e}fdp.exe"), None);
    }

    #[test]
    fn image_headers_give_their_size() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&72u32.to_be_bytes());
        png.extend_from_slice(&61u32.to_be_bytes());
        assert_eq!(image_size(&png), Some((72, 61)));
        let gif = b"GIF89a\x48\x00\x3d\x00rest";
        assert_eq!(image_size(gif), Some((72, 61)));
        // SOI, an APP0 segment of 16 bytes, then SOF0 with height 61, width 72.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        jpeg.extend_from_slice(&[0; 14]);
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x3D, 0x00, 0x48, 0x03]);
        assert_eq!(image_size(&jpeg), Some((72, 61)));
        assert_eq!(image_size(b"plain text"), None);
    }

    #[test]
    fn content_is_named_by_its_sha256() {
        assert_eq!(
            content_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

/// A signed, expiring link to one file for one user (`im.v2.File.download`):
/// `FILE.USER.EXPIRES.SIGNATURE` (no `.` in base64url), the signature an
/// HMAC-SHA256 of the rest under the portal's secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadLink {
    pub file: i64,
    pub user: UserId,
    pub expires: Timestamp,
}

/// How long a download link works, in seconds.
pub const LINK_SECONDS: i64 = 3600;

impl DownloadLink {
    fn payload(&self) -> String {
        format!("{}.{}.{}", self.file, self.user.0, self.expires.0)
    }

    pub fn sign(&self, secret: &[u8]) -> String {
        use base64::Engine;
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
        let payload = self.payload();
        let tag = ring::hmac::sign(&key, payload.as_bytes());
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag.as_ref());
        format!("{payload}.{sig}")
    }

    /// The link a token names, if its signature holds and it has not expired.
    pub fn verify(secret: &[u8], token: &str, now: Timestamp) -> Option<DownloadLink> {
        use base64::Engine;
        let (payload, sig) = token.rsplit_once('.')?;
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig)
            .ok()?;
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
        ring::hmac::verify(&key, payload.as_bytes(), &sig).ok()?;
        let mut parts = payload.split('.').map(|p| p.parse::<i64>().ok());
        let link = DownloadLink {
            file: parts.next()??,
            user: UserId(parts.next()??),
            expires: Timestamp(parts.next()??),
        };
        (parts.next().is_none() && link.expires.0 >= now.0).then_some(link)
    }
}

#[cfg(test)]
mod link_tests {
    use super::*;

    #[test]
    fn links_verify_only_unchanged_and_in_time() {
        let link = DownloadLink {
            file: 7,
            user: UserId(3),
            expires: Timestamp(1000),
        };
        let token = link.sign(b"secret");
        assert_eq!(
            DownloadLink::verify(b"secret", &token, Timestamp(999)),
            Some(link)
        );
        assert_eq!(
            DownloadLink::verify(b"secret", &token, Timestamp(1001)),
            None
        );
        assert_eq!(DownloadLink::verify(b"other", &token, Timestamp(999)), None);
        let forged = token.replacen("7.", "8.", 1);
        assert_eq!(
            DownloadLink::verify(b"secret", &forged, Timestamp(999)),
            None
        );
        assert_eq!(
            DownloadLink::verify(b"secret", "garbage", Timestamp(0)),
            None
        );
        // Signatures hold every base64url character (`-` and `_` too).
        for file in 0..300 {
            let link = DownloadLink { file, ..link };
            assert_eq!(
                DownloadLink::verify(b"k", &link.sign(b"k"), Timestamp(0)),
                Some(link)
            );
        }
    }
}
