//! CSV read as a stream: a file of any size costs a buffer, not its size. The encoding is decided by a first pass
//! (valid UTF-8, else valid GB18030, else unusable: nothing is stored with replacement characters), then records are
//! parsed as the bytes are read, decoded on the way when the file is GB18030. Row numbers are Excel's: a record's
//! first line, counting blank lines and every line end (LF, CRLF or a lone CR), less the line ends inside quoted
//! cells before it.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::path::PathBuf;

use crate::limits::{MAX_COLUMNS, MAX_ROW_BYTES, MAX_ROWS};
use crate::{Encoding, ImportError, RowError, RowResult, checked};

/// Bytes of one record that are read before the rest of the file is given up as unreadable. Records longer than
/// [`MAX_ROW_BYTES`] but shorter than this are rejected as rows; one longer than this would make the parser buffer
/// it, so reading stops there.
const MAX_RECORD_BYTES: u64 = 4 * MAX_ROW_BYTES as u64;

const BLOCK: usize = 64 * 1024;

/// Where a CSV file's bytes come from: memory (an upload) or a file that is opened for each pass.
#[derive(Debug, Clone)]
pub enum Source<'a> {
    Bytes(Cow<'a, [u8]>),
    File(PathBuf),
}

impl Source<'_> {
    /// The bytes from the start, past a UTF-8 byte order mark.
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>> {
        let mut reader: Box<dyn Read + Send + '_> = match self {
            Source::Bytes(b) => Box::new(&b[..]),
            Source::File(p) => Box::new(io::BufReader::with_capacity(BLOCK, std::fs::File::open(p)?)),
        };
        let mut head = [0u8; 3];
        let mut got = 0;
        while got < 3 {
            match reader.read(&mut head[got..])? {
                0 => break,
                n => got += n,
            }
        }
        let keep = if got == 3 && head == *b"\xEF\xBB\xBF" { 0 } else { got };
        Ok(Box::new(io::Cursor::new(head[..keep].to_vec()).chain(reader)))
    }
}

/// A CSV file whose encoding is known: its header and a way to read its data rows (as often as asked).
#[derive(Debug, Clone)]
pub struct CsvFile<'a> {
    source: Source<'a>,
    pub encoding: Encoding,
    /// Line ends in the file (LF, or CR where a file ends its lines with CR alone): at least the number of data
    /// rows, for progress bars.
    pub line_ends: usize,
}

fn unreadable(e: io::Error) -> ImportError {
    ImportError::Csv(format!("读取失败:{e}"))
}

impl<'a> CsvFile<'a> {
    /// Reads a file through once to decide its encoding, then its header.
    pub fn open(source: Source<'a>) -> Result<(CsvFile<'a>, Vec<String>), ImportError> {
        let (encoding, line_ends) = match utf8_pass(source.open().map_err(unreadable)?).map_err(unreadable)? {
            Some(lines) => (Encoding::Utf8, lines),
            None => match gb18030_pass(source.open().map_err(unreadable)?).map_err(unreadable)? {
                Some(lines) => (Encoding::Gb18030, lines),
                None => return Err(ImportError::Encoding),
            },
        };
        let file = CsvFile { source, encoding, line_ends };
        let header: Vec<String> = match file.records().map_err(unreadable)?.next_record() {
            Some(Ok((_, r))) => r.iter().map(str::to_string).collect(),
            Some(Err(e)) => return Err(e),
            None => return Err(ImportError::Empty),
        };
        if header.len() > MAX_COLUMNS {
            return Err(ImportError::TooManyColumns { what: "表头", found: header.len() });
        }
        Ok((file, header))
    }

    fn records(&self) -> io::Result<Records<'_>> {
        let text: Box<dyn Read + Send + '_> = match self.encoding {
            Encoding::Utf8 => self.source.open()?,
            Encoding::Gb18030 => Box::new(Gb18030::new(self.source.open()?)),
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(BLOCK)
            .from_reader(Lines::new(text));
        Ok(Records { reader, record: csv::StringRecord::new(), embedded: 0 })
    }

    /// The data rows, blank ones skipped, numbered as Excel shows them.
    pub fn rows(&self) -> Box<dyn Iterator<Item = RowResult> + Send + '_> {
        match self.records() {
            Ok(mut records) => {
                // The header (row 1, or later after blank lines) was checked when the file was opened.
                let _ = records.next_record();
                Box::new(DataRows { records, count: 0, done: false })
            }
            Err(e) => Box::new(std::iter::once(Err(RowError::Fatal(unreadable(e))))),
        }
    }
}

/// Line ends in a block as [`CsvFile::line_ends`] counts them: LF and CR counted apart.
fn count_ends(block: &[u8], ends: &mut (usize, usize)) {
    for b in block {
        match b {
            b'\n' => ends.0 += 1,
            b'\r' => ends.1 += 1,
            _ => {}
        }
    }
}

/// Validates UTF-8 block by block; `Some(line ends)` when the whole stream is valid.
fn utf8_pass(mut r: impl Read) -> io::Result<Option<usize>> {
    let mut buf = vec![0u8; BLOCK];
    let (mut carry, mut ends) = (0, (0, 0));
    loop {
        let n = r.read(&mut buf[carry..])?;
        if n == 0 {
            return Ok((carry == 0).then_some(ends.0.max(ends.1)));
        }
        let len = carry + n;
        count_ends(&buf[carry..len], &mut ends);
        carry = match std::str::from_utf8(&buf[..len]) {
            Ok(_) => 0,
            // A character cut at the block's end: its first bytes go before the next block.
            Err(e) if e.error_len().is_none() => {
                buf.copy_within(e.valid_up_to()..len, 0);
                len - e.valid_up_to()
            }
            Err(_) => return Ok(None),
        };
    }
}

/// Validates GB18030 block by block; `Some(line ends)` when the whole stream is valid.
fn gb18030_pass(r: impl Read) -> io::Result<Option<usize>> {
    let mut text = Gb18030::new(r);
    let (mut buf, mut ends) = (vec![0u8; BLOCK], (0, 0));
    loop {
        match text.read(&mut buf) {
            Ok(0) => return Ok(Some(ends.0.max(ends.1))),
            Ok(n) => count_ends(&buf[..n], &mut ends),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// GB18030 bytes read as UTF-8 text; malformed bytes are an [`io::ErrorKind::InvalidData`] error, never replaced.
struct Gb18030<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    raw: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// The decoder has taken the end of the input (it must not be called again).
    finished: bool,
    /// Decoded text that did not fit the caller's buffer.
    spill: Vec<u8>,
}

impl<R: Read> Gb18030<R> {
    fn new(inner: R) -> Gb18030<R> {
        Gb18030 {
            inner,
            decoder: encoding_rs::GB18030.new_decoder_without_bom_handling(),
            raw: vec![0; BLOCK],
            start: 0,
            end: 0,
            eof: false,
            finished: false,
            spill: Vec::new(),
        }
    }
}

impl<R: Read> Read for Gb18030<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if !self.spill.is_empty() {
            let n = out.len().min(self.spill.len());
            out[..n].copy_from_slice(&self.spill[..n]);
            self.spill.drain(..n);
            return Ok(n);
        }
        while !self.finished {
            if self.start == self.end && !self.eof {
                self.end = self.inner.read(&mut self.raw)?;
                self.start = 0;
                self.eof = self.end == 0;
            }
            // A character takes at most 4 bytes of UTF-8: a smaller buffer is filled from the spill.
            let mut small = [0u8; 16];
            let target: &mut [u8] = if out.len() < 16 { &mut small } else { out };
            let (result, read, written) =
                self.decoder.decode_to_utf8_without_replacement(&self.raw[self.start..self.end], target, self.eof);
            self.start += read;
            match result {
                encoding_rs::DecoderResult::Malformed(..) => {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "不是有效的 GB18030 文本"));
                }
                encoding_rs::DecoderResult::InputEmpty if self.eof => self.finished = true,
                _ => {}
            }
            if written > 0 || self.eof {
                if out.len() < 16 {
                    let n = out.len().min(written);
                    out[..n].copy_from_slice(&small[..n]);
                    self.spill.extend_from_slice(&small[n..written]);
                    return Ok(n);
                }
                return Ok(written);
            }
        }
        Ok(0)
    }
}

/// The text as the CSV parser reads it, with where each line's content starts: the offset of each byte that
/// follows a line end (and is not one) with the number of line ends before it. The parser gives a record the
/// position just after the previous record's terminator, which may be the LF of a CRLF or the start of blank lines;
/// the first content start at or after it is the record's real first line.
struct Lines<R> {
    inner: R,
    offset: u64,
    breaks: u64,
    /// At a line's start (the file's start, or after a line end).
    at_start: bool,
    /// The previous byte was a CR (a CR followed by LF is one line end).
    after_cr: bool,
    starts: VecDeque<(u64, u64)>,
    /// Bytes other than line ends read since the last record was asked about ([`Lines::line_at`]): what the parser
    /// may be buffering (blank lines cost it nothing).
    pending: u64,
}

impl<R: Read> Lines<R> {
    fn new(inner: R) -> Lines<R> {
        Lines { inner, offset: 0, breaks: 0, at_start: true, after_cr: false, starts: VecDeque::new(), pending: 0 }
    }

    /// The line (from 1) of the first content at or after `position`.
    fn line_at(&mut self, position: u64) -> u64 {
        // (What the parser holds in its buffer beyond this record, at most a block, is not counted.)
        self.pending = 0;
        while self.starts.front().is_some_and(|(at, _)| *at < position) {
            self.starts.pop_front();
        }
        self.starts.front().map(|(_, breaks)| breaks + 1).unwrap_or(self.breaks + 1)
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending > MAX_RECORD_BYTES {
            return Err(io::Error::other(ImportError::RowTooLong { bytes: self.pending as usize }));
        }
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            match b {
                b'\n' => {
                    if !self.after_cr {
                        self.breaks += 1;
                    }
                    self.at_start = true;
                    self.after_cr = false;
                }
                b'\r' => {
                    self.breaks += 1;
                    self.at_start = true;
                    self.after_cr = true;
                }
                _ => {
                    self.pending += 1;
                    if self.at_start {
                        self.starts.push_back((self.offset, self.breaks));
                        self.at_start = false;
                    }
                    self.after_cr = false;
                }
            }
            self.offset += 1;
        }
        Ok(n)
    }
}

/// Line ends in a cell as [`Lines`] counts them.
fn line_ends(cell: &str) -> u64 {
    let b = cell.as_bytes();
    b.iter().enumerate().filter(|&(i, &c)| c == b'\r' || (c == b'\n' && (i == 0 || b[i - 1] != b'\r'))).count() as u64
}

/// Records with their Excel row numbers.
struct Records<'a> {
    reader: csv::Reader<Lines<Box<dyn Read + Send + 'a>>>,
    record: csv::StringRecord,
    /// Line ends inside quoted cells so far.
    embedded: u64,
}

impl Records<'_> {
    fn next_record(&mut self) -> Option<Result<(usize, &csv::StringRecord), ImportError>> {
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) if !matches!(e.kind(), csv::ErrorKind::Io(_)) => return Some(Err(ImportError::Csv(e.to_string()))),
            Err(e) => {
                let csv::ErrorKind::Io(io) = e.into_kind() else {
                    return Some(Err(ImportError::Csv("读取失败".into())));
                };
                // A limit that [`Lines`] holds comes back as itself; anything else is a read failure.
                return Some(Err(match io.into_inner().map(|inner| inner.downcast::<ImportError>()) {
                    Some(Ok(limit)) => *limit,
                    Some(Err(other)) => unreadable(io::Error::other(other)),
                    None => ImportError::Csv("读取失败".into()),
                }));
            }
        }
        let position = self.record.position().map(|p| p.byte()).unwrap_or(0);
        let line = self.reader.get_mut().line_at(position);
        let row = (line - self.embedded.min(line)) as usize;
        self.embedded += self.record.iter().map(line_ends).sum::<u64>();
        Some(Ok((row, &self.record)))
    }
}

struct DataRows<'a> {
    records: Records<'a>,
    count: usize,
    done: bool,
}

impl Iterator for DataRows<'_> {
    type Item = RowResult;

    fn next(&mut self) -> Option<RowResult> {
        while !self.done {
            let (row, r) = match self.records.next_record()? {
                Ok(x) => x,
                Err(e) => {
                    self.done = true;
                    return Some(Err(RowError::Fatal(e)));
                }
            };
            if r.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            self.count += 1;
            if self.count > MAX_ROWS {
                self.done = true;
                return Some(Err(RowError::Fatal(ImportError::TooManyRows)));
            }
            // Refused before its cells are built: a row of a million cells costs its bytes, not a million strings.
            if r.len() > MAX_COLUMNS {
                return Some(Err(RowError::Row {
                    row,
                    error: ImportError::TooManyColumns { what: "该行", found: r.len() },
                }));
            }
            if r.as_slice().len() > MAX_ROW_BYTES {
                return Some(Err(RowError::Row { row, error: ImportError::RowTooLong { bytes: r.as_slice().len() } }));
            }
            return Some(checked(row, r.iter().map(str::to_string).collect()));
        }
        None
    }
}
