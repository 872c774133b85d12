//! Extra output forms written next to a run's JSONL: Parquet (same rows, for pandas,
//! DuckDB, Spark), and the two shapes trainers read — chat (`{"messages": [...]}`) and
//! alpaca (`{"instruction", "input", "output"}`) — for both FOL and code records; and for
//! FOL, ProverQA's own file (a JSON array of its eight keys) for ProverQA's tools.
//!
//! Everything here works on `serde_json::Value` rows, so it exports any version of the
//! record schema (and ProverQA files we did not write) without a round trip through the
//! typed records.

use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use serde_json::{Map, Value, json};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// Rows per Parquet row group: bounds the memory of an export to one group's columns.
const ROW_GROUP_ROWS: usize = 8192;

/// One extra output form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportFormat {
    /// `<name>.parquet`: the same rows; top-level scalars as typed columns, nested values
    /// as JSON text.
    Parquet,
    /// `<name>.chat.jsonl`: `{"id", "messages": [{"role", "content"}, ...]}`.
    Chat,
    /// `<name>.alpaca.jsonl`: `{"id", "instruction", "input", "output"}`. `instruct` is
    /// accepted as another name for it.
    Alpaca,
    /// `<name>.proverqa.json`: FOL records as ProverQA ships them, a JSON array of objects
    /// with exactly `id` (the row's position, an integer as in ProverQA), `options`,
    /// `answer`, `question`, `reasoning`, `context` (one string), `nl2fol` and
    /// `conclusion_fol`.
    ProverQa,
}

impl ExportFormat {
    /// Parses a comma-separated list such as `chat,parquet` (the `--format` flag).
    pub fn parse_list(s: &str) -> Result<Vec<ExportFormat>, ExportError> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f: ExportFormat = part.parse()?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        Ok(out)
    }

    /// The file this form is written to, next to `jsonl` (`data.jsonl` -> `data.parquet`,
    /// `data.chat.jsonl`, `data.alpaca.jsonl`).
    pub fn path_for(self, jsonl: &Path) -> PathBuf {
        let stem = jsonl.file_stem().and_then(|s| s.to_str()).unwrap_or("data");
        let name = match self {
            ExportFormat::Parquet => format!("{stem}.parquet"),
            ExportFormat::Chat => format!("{stem}.chat.jsonl"),
            ExportFormat::Alpaca => format!("{stem}.alpaca.jsonl"),
            ExportFormat::ProverQa => format!("{stem}.proverqa.json"),
        };
        jsonl.with_file_name(name)
    }
}

impl FromStr for ExportFormat {
    type Err = ExportError;

    fn from_str(s: &str) -> Result<ExportFormat, ExportError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "parquet" => Ok(ExportFormat::Parquet),
            "chat" | "messages" => Ok(ExportFormat::Chat),
            "alpaca" | "instruct" => Ok(ExportFormat::Alpaca),
            "proverqa" => Ok(ExportFormat::ProverQa),
            _ => Err(ExportError::UnknownFormat(s.to_string())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("unknown export format `{0}`: use parquet, chat, alpaca (instruct) or proverqa, comma-separated")]
    UnknownFormat(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a JSON object: {message}")]
    BadLine { path: PathBuf, line: usize, message: String },
    #[error("writing {path}: {source}")]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
}

/// What one export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    pub format: ExportFormat,
    pub path: PathBuf,
    /// Rows written.
    pub rows: usize,
    /// Input rows that are neither a FOL nor a code record (chat/alpaca only).
    pub skipped: usize,
}

/// Which generator wrote a row, told from its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Fol,
    Code,
}

impl RecordKind {
    pub fn of(row: &Value) -> Option<RecordKind> {
        let has = |k: &str| row.get(k).is_some_and(|v| !v.is_null());
        if has("lang") && has("instruction") {
            Some(RecordKind::Code)
        } else if has("question") && (has("context") || has("answer")) {
            Some(RecordKind::Fol)
        } else {
            None
        }
    }
}

/// Writes each of `formats` next to `jsonl`, reading it once per form. A torn last line
/// (a killed run) is skipped, as the writer's recovery would cut it; any other bad line is
/// an error naming the file and line.
pub fn export_file(jsonl: &Path, formats: &[ExportFormat]) -> Result<Vec<ExportReport>, ExportError> {
    formats
        .iter()
        .map(|&format| {
            let out = format.path_for(jsonl);
            match format {
                ExportFormat::Parquet => write_parquet(jsonl, &out),
                ExportFormat::Chat | ExportFormat::Alpaca => write_converted(jsonl, &out, format),
                ExportFormat::ProverQa => write_proverqa(jsonl, &out),
            }
        })
        .collect()
}

/// The chat form of a FOL or code row, or `None` if the row is neither.
pub fn chat_row(row: &Value) -> Option<Value> {
    let (user, assistant) = match RecordKind::of(row)? {
        RecordKind::Fol => {
            let (instruction, input, output) = fol_parts(row);
            (format!("{input}\n\n{instruction}"), output)
        }
        RecordKind::Code => (text(row, "instruction"), code_answer(row)),
    };
    Some(json!({
        "id": row.get("id").cloned().unwrap_or(Value::Null),
        "messages": [
            {"role": "user", "content": user},
            {"role": "assistant", "content": assistant},
        ],
    }))
}

/// The alpaca form of a FOL or code row, or `None` if the row is neither.
pub fn alpaca_row(row: &Value) -> Option<Value> {
    let (instruction, input, output) = match RecordKind::of(row)? {
        RecordKind::Fol => fol_parts(row),
        RecordKind::Code => (text(row, "instruction"), String::new(), code_answer(row)),
    };
    Some(json!({
        "id": row.get("id").cloned().unwrap_or(Value::Null),
        "instruction": instruction,
        "input": input,
        "output": output,
    }))
}

/// (question with its options, the context, the reasoning ending in the answer).
fn fol_parts(row: &Value) -> (String, String, String) {
    let context = match row.get("context") {
        Some(Value::Array(items)) => {
            items.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect()
        }
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let mut question = text(row, "question");
    // ProverQA's question does not list the options; the model must see them to answer
    // with a letter.
    if let Some(Value::Array(options)) = row.get("options") {
        let options: Vec<&str> = options.iter().filter_map(Value::as_str).collect();
        if !options.is_empty() && !options.iter().all(|o| question.contains(o)) {
            question = format!("{question}\nOptions:\n{}", options.join("\n"));
        }
    }
    let mut output = text(row, "reasoning");
    let answer = text(row, "answer");
    if output.trim().is_empty() {
        output = format!("The correct option is: {answer}.");
    }
    (question, format!("Context:\n{}", context.join("\n")), output)
}

/// The keys of a ProverQA problem, in ProverQA's order.
pub const PROVERQA_KEYS: [&str; 8] =
    ["id", "options", "answer", "question", "reasoning", "context", "nl2fol", "conclusion_fol"];

/// ProverQA's form of a FOL row (its eight keys, `id` = `position`), or `None` if the row
/// is not a FOL record.
pub fn proverqa_row(row: &Value, position: usize) -> Option<Value> {
    if RecordKind::of(row)? != RecordKind::Fol {
        return None;
    }
    let context = match row.get("context") {
        Some(Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(crate::CONTEXT_SEPARATOR)
        }
        _ => text(row, "context"),
    };
    let mut out = Map::new();
    for key in PROVERQA_KEYS {
        let value = match key {
            "id" => json!(position),
            "context" => json!(context),
            "options" => row.get(key).cloned().unwrap_or_else(|| json!(crate::Label::options())),
            "nl2fol" => row.get(key).cloned().unwrap_or_else(|| json!({})),
            _ => json!(text(row, key)),
        };
        out.insert(key.to_string(), value);
    }
    Some(Value::Object(out))
}

/// Writes ProverQA's file: a JSON array, one problem per line.
fn write_proverqa(jsonl: &Path, out: &Path) -> Result<ExportReport, ExportError> {
    let io = |source| ExportError::Io { path: out.to_path_buf(), source };
    let tmp = out.with_extension("json.tmp");
    let mut w = BufWriter::new(File::create(&tmp).map_err(io)?);
    let (mut rows, mut skipped) = (0, 0);
    w.write_all(b"[").map_err(io)?;
    for_each_row(jsonl, |map| {
        match proverqa_row(&Value::Object(map), rows) {
            Some(v) => {
                w.write_all(if rows == 0 { b"\n" } else { b",\n" }).map_err(io)?;
                serde_json::to_writer(&mut w, &v).map_err(|e| io(e.into()))?;
                rows += 1;
            }
            None => skipped += 1,
        }
        Ok(())
    })?;
    w.write_all(b"\n]\n").map_err(io)?;
    w.into_inner().map_err(|e| io(e.into_error()))?.sync_all().map_err(io)?;
    std::fs::rename(&tmp, out).map_err(io)?;
    Ok(ExportReport { format: ExportFormat::ProverQa, path: out.to_path_buf(), rows, skipped })
}

fn code_answer(row: &Value) -> String {
    let response = text(row, "response");
    if response.trim().is_empty() { text(row, "solution") } else { response }
}

fn text(row: &Value, key: &str) -> String {
    match row.get(key) {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Streams the rows of a JSONL file, numbering lines from 1. A final line without its
/// newline that does not parse is a torn write and ends the stream silently.
fn for_each_row(
    path: &Path,
    mut f: impl FnMut(Map<String, Value>) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let io = |source| ExportError::Io { path: path.to_path_buf(), source };
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut buf = String::new();
    let mut line = 0;
    loop {
        buf.clear();
        if reader.read_line(&mut buf).map_err(io)? == 0 {
            return Ok(());
        }
        line += 1;
        let complete = buf.ends_with('\n');
        let trimmed = buf.trim();
        if trimmed.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Object(map)) => f(map)?,
            Err(_) if !complete => return Ok(()),
            Ok(_) => {
                return Err(ExportError::BadLine {
                    path: path.to_path_buf(),
                    line,
                    message: "expected an object".into(),
                });
            }
            Err(e) => {
                return Err(ExportError::BadLine { path: path.to_path_buf(), line, message: e.to_string() });
            }
        }
    }
}

fn write_converted(jsonl: &Path, out: &Path, format: ExportFormat) -> Result<ExportReport, ExportError> {
    let io = |source| ExportError::Io { path: out.to_path_buf(), source };
    // Written under a temporary name and renamed, so a reader never sees half an export.
    let tmp = out.with_extension("jsonl.tmp");
    let mut w = BufWriter::new(File::create(&tmp).map_err(io)?);
    let (mut rows, mut skipped) = (0, 0);
    for_each_row(jsonl, |map| {
        let row = Value::Object(map);
        let converted = if format == ExportFormat::Chat { chat_row(&row) } else { alpaca_row(&row) };
        match converted {
            Some(v) => {
                serde_json::to_writer(&mut w, &v).map_err(|e| io(e.into()))?;
                w.write_all(b"\n").map_err(io)?;
                rows += 1;
            }
            None => skipped += 1,
        }
        Ok(())
    })?;
    w.into_inner().map_err(|e| io(e.into_error()))?.sync_all().map_err(io)?;
    std::fs::rename(&tmp, out).map_err(io)?;
    Ok(ExportReport { format, path: out.to_path_buf(), rows, skipped })
}

/// The Parquet type of one top-level field, widened as rows are seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnKind {
    /// Only nulls so far.
    Null,
    Bool,
    Int,
    /// Non-negative integers, some above `i64::MAX` (seeds are u64).
    UInt,
    Double,
    /// Strings, nested values (as JSON text) and anything of mixed type.
    Text,
}

impl ColumnKind {
    fn of(v: &Value) -> ColumnKind {
        match v {
            Value::Null => ColumnKind::Null,
            Value::Bool(_) => ColumnKind::Bool,
            Value::Number(n) if n.is_i64() => ColumnKind::Int,
            Value::Number(n) if n.is_u64() => ColumnKind::UInt,
            Value::Number(_) => ColumnKind::Double,
            _ => ColumnKind::Text,
        }
    }

    fn widen(self, other: ColumnKind) -> ColumnKind {
        use ColumnKind::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Null, b) => b,
            (a, Null) => a,
            (Int, UInt) | (UInt, Int) => UInt,
            // A double column keeps integers exactly up to 2^53; ids and counts stay below.
            (Int | Double, Int | Double) => Double,
            _ => Text,
        }
    }
}

/// Writes the rows of `jsonl` to `out` as Parquet: one optional column per top-level key
/// (in first-seen order), missing keys as nulls. Two passes over the file: the first
/// settles the column types, the second writes row groups of [`ROW_GROUP_ROWS`].
pub fn write_parquet(jsonl: &Path, out: &Path) -> Result<ExportReport, ExportError> {
    let mut columns: Vec<(String, ColumnKind)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    for_each_row(jsonl, |map| {
        for (k, v) in &map {
            let kind = ColumnKind::of(v);
            match index.get(k) {
                Some(&i) => columns[i].1 = columns[i].1.widen(kind),
                None => {
                    index.insert(k.clone(), columns.len());
                    columns.push((k.clone(), kind));
                }
            }
        }
        Ok(())
    })?;
    let pq = |source| ExportError::Parquet { path: out.to_path_buf(), source };
    let io = |source| ExportError::Io { path: out.to_path_buf(), source };
    let schema = parquet_schema(&columns).map_err(pq)?;
    let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    let tmp = out.with_extension("parquet.tmp");
    let file = File::create(&tmp).map_err(io)?;
    let mut writer = SerializedFileWriter::new(file, schema, Arc::new(props)).map_err(pq)?;
    let mut batch: Vec<Map<String, Value>> = Vec::with_capacity(ROW_GROUP_ROWS);
    let mut rows = 0;
    let mut flush = |batch: &mut Vec<Map<String, Value>>,
                     writer: &mut SerializedFileWriter<File>|
     -> Result<(), parquet::errors::ParquetError> {
        if batch.is_empty() {
            return Ok(());
        }
        write_row_group(writer, &columns, batch)?;
        rows += batch.len();
        batch.clear();
        Ok(())
    };
    for_each_row(jsonl, |map| {
        batch.push(map);
        if batch.len() == ROW_GROUP_ROWS {
            flush(&mut batch, &mut writer).map_err(pq)?;
        }
        Ok(())
    })?;
    flush(&mut batch, &mut writer).map_err(pq)?;
    writer.close().map_err(pq)?;
    std::fs::rename(&tmp, out).map_err(io)?;
    Ok(ExportReport { format: ExportFormat::Parquet, path: out.to_path_buf(), rows, skipped: 0 })
}

fn parquet_schema(columns: &[(String, ColumnKind)]) -> Result<Arc<Type>, parquet::errors::ParquetError> {
    let mut fields = Vec::with_capacity(columns.len());
    for (name, kind) in columns {
        let (physical, logical) = match kind {
            ColumnKind::Bool => (PhysicalType::BOOLEAN, None),
            ColumnKind::Int => (PhysicalType::INT64, None),
            ColumnKind::UInt => {
                (PhysicalType::INT64, Some(LogicalType::Integer { bit_width: 64, is_signed: false }))
            }
            ColumnKind::Double => (PhysicalType::DOUBLE, None),
            ColumnKind::Null | ColumnKind::Text => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
        };
        let field = Type::primitive_type_builder(name, physical)
            .with_repetition(Repetition::OPTIONAL)
            .with_logical_type(logical)
            .build()?;
        fields.push(Arc::new(field));
    }
    Ok(Arc::new(Type::group_type_builder("schema").with_fields(fields).build()?))
}

fn write_row_group(
    writer: &mut SerializedFileWriter<File>,
    columns: &[(String, ColumnKind)],
    batch: &[Map<String, Value>],
) -> Result<(), parquet::errors::ParquetError> {
    let mut group = writer.next_row_group()?;
    for (name, kind) in columns {
        let Some(mut col) = group.next_column()? else {
            break;
        };
        let present = |m: &Map<String, Value>| m.get(name).filter(|v| !v.is_null()).cloned();
        let values: Vec<Option<Value>> = batch.iter().map(present).collect();
        let def: Vec<i16> = values.iter().map(|v| i16::from(v.is_some())).collect();
        let present = values.iter().flatten();
        match kind {
            ColumnKind::Bool => {
                let v: Vec<bool> = present.map(|v| v.as_bool().unwrap_or_default()).collect();
                col.typed::<BoolType>().write_batch(&v, Some(&def), None)?;
            }
            ColumnKind::Int => {
                let v: Vec<i64> = present.map(|v| v.as_i64().unwrap_or_default()).collect();
                col.typed::<Int64Type>().write_batch(&v, Some(&def), None)?;
            }
            ColumnKind::UInt => {
                // Parquet stores unsigned 64-bit integers in INT64 with the same bits.
                let v: Vec<i64> = present
                    .map(|v| v.as_u64().map_or_else(|| v.as_i64().unwrap_or_default(), |u| u as i64))
                    .collect();
                col.typed::<Int64Type>().write_batch(&v, Some(&def), None)?;
            }
            ColumnKind::Double => {
                let v: Vec<f64> = present.map(|v| v.as_f64().unwrap_or_default()).collect();
                col.typed::<DoubleType>().write_batch(&v, Some(&def), None)?;
            }
            ColumnKind::Null | ColumnKind::Text => {
                let v: Vec<ByteArray> = present
                    .map(|v| match v {
                        Value::String(s) => ByteArray::from(s.as_str()),
                        other => ByteArray::from(other.to_string().as_str()),
                    })
                    .collect();
                col.typed::<ByteArrayType>().write_batch(&v, Some(&def), None)?;
            }
        }
        col.close()?;
    }
    group.close()?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    fn fol_row() -> Value {
        json!({
            "id": "fol-7-0", "options": ["A) True", "B) False", "C) Uncertain"], "answer": "A",
            "question": "Based on the above information, is the following statement true, false, or uncertain? Bo is red.",
            "reasoning": "fact1: Bo is blue.\nrule: If Bo is blue, then Bo is red.\nconclusion: Bo is red.\n\nThe correct option is: A.",
            "context": ["Bo is blue.", "If Bo is blue, then Bo is red."],
            "meta": {"depth": 1, "label": "True", "seed": u64::MAX}, "schema_version": 1
        })
    }

    fn code_row() -> Value {
        json!({
            "id": "code-7-1", "lang": "python", "instruction": "Write add(a, b).",
            "response": "```python\ndef add(a, b):\n    return a + b\n```", "solution": "def add(a, b):\n    return a + b",
            "tests": "assert add(1, 2) == 3", "verification": {"compiled": true, "passed": true}, "schema_version": 1
        })
    }

    fn write_jsonl(dir: &Path, rows: &[Value], tail: &str) -> PathBuf {
        let path = dir.join("data.jsonl");
        let mut s: String = rows.iter().map(|r| format!("{r}\n")).collect();
        s.push_str(tail);
        std::fs::write(&path, s).unwrap();
        path
    }

    #[test]
    fn parse_list_accepts_aliases_and_rejects_unknown_names() {
        assert_eq!(
            ExportFormat::parse_list("chat, parquet,instruct,chat").unwrap(),
            vec![ExportFormat::Chat, ExportFormat::Parquet, ExportFormat::Alpaca]
        );
        let err = ExportFormat::parse_list("chat,csv").unwrap_err().to_string();
        assert!(err.contains("`csv`") && err.contains("parquet"), "{err}");
    }

    #[test]
    fn fol_row_becomes_chat_with_context_options_and_reasoning() {
        let chat = chat_row(&fol_row()).unwrap();
        let msgs = chat["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 2);
        let user = msgs[0]["content"].as_str().unwrap();
        assert!(user.contains("Bo is blue.") && user.contains("C) Uncertain") && user.contains("Bo is red."));
        assert!(msgs[1]["content"].as_str().unwrap().ends_with("The correct option is: A."));
        assert_eq!(chat["id"], "fol-7-0");
    }

    #[test]
    fn code_row_becomes_alpaca_with_the_response_as_output() {
        let a = alpaca_row(&code_row()).unwrap();
        assert_eq!(a["instruction"], "Write add(a, b).");
        assert_eq!(a["input"], "");
        assert!(a["output"].as_str().unwrap().contains("return a + b"));
        assert!(alpaca_row(&json!({"id": "x", "foo": 1})).is_none());
    }

    #[test]
    fn fol_alpaca_without_reasoning_still_states_the_answer() {
        let mut row = fol_row();
        row["reasoning"] = json!("");
        row["context"] = json!("One string of context.");
        let a = alpaca_row(&row).unwrap();
        assert_eq!(a["output"], "The correct option is: A.");
        assert!(a["input"].as_str().unwrap().contains("One string of context."));
    }

    #[test]
    fn chat_export_skips_foreign_rows_and_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_jsonl(dir.path(), &[fol_row(), json!({"id": "odd"}), code_row()], "{\"id\": \"torn");
        let reports = export_file(&path, &[ExportFormat::Chat, ExportFormat::Alpaca]).unwrap();
        assert_eq!((reports[0].rows, reports[0].skipped), (2, 1));
        let text = std::fs::read_to_string(dir.path().join("data.chat.jsonl")).unwrap();
        let ids: Vec<String> =
            text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].to_string()).collect();
        assert_eq!(ids, vec!["\"fol-7-0\"", "\"code-7-1\""]);
        assert!(dir.path().join("data.alpaca.jsonl").exists());
    }

    #[test]
    fn a_bad_line_in_the_middle_is_an_error_naming_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.jsonl");
        std::fs::write(&path, format!("{}\nnot json\n{}\n", fol_row(), code_row())).unwrap();
        let err = export_file(&path, &[ExportFormat::Parquet]).unwrap_err().to_string();
        assert!(err.contains("data.jsonl:2:"), "{err}");
    }

    #[test]
    fn parquet_keeps_every_row_with_typed_scalars_and_json_nested_fields() {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = vec![fol_row(), code_row()];
        rows.extend(
            (0..3).map(|i| json!({"id": format!("x{i}"), "score": i, "ratio": 0.5, "ok": i % 2 == 0})),
        );
        let path = write_jsonl(dir.path(), &rows, "");
        let report = write_parquet(&path, &dir.path().join("data.parquet")).unwrap();
        assert_eq!(report.rows, 5);

        let reader = SerializedFileReader::new(File::open(&report.path).unwrap()).unwrap();
        assert_eq!(reader.metadata().file_metadata().num_rows(), 5);
        let read: Vec<_> = reader.get_row_iter(None).unwrap().map(|r| r.unwrap()).collect();
        let field = |row: usize, name: &str| {
            read[row].get_column_iter().find(|(n, _)| n.as_str() == name).map(|(_, f)| f.clone()).unwrap()
        };
        assert_eq!(field(0, "id"), Field::Str("fol-7-0".into()));
        assert_eq!(field(1, "lang"), Field::Str("python".into()));
        assert_eq!(field(0, "lang"), Field::Null);
        assert_eq!(field(3, "score"), Field::Long(1));
        assert_eq!(field(4, "ok"), Field::Bool(true));
        let Field::Str(meta) = field(0, "meta") else { panic!("meta is not text") };
        let meta: Value = serde_json::from_str(&meta).unwrap();
        assert_eq!(meta["seed"], json!(u64::MAX));
    }

    /// The file must read back in pandas (what users load it with) as the same rows.
    /// Skipped, saying so, where python3 with pandas and pyarrow is not installed (a
    /// failure under GEN_REQUIRE_ALL=1).
    #[test]
    fn parquet_reads_back_in_pandas_as_the_same_rows() {
        let probe = std::process::Command::new("python3").args(["-c", "import pandas, pyarrow"]).output();
        if !probe.is_ok_and(|o| o.status.success()) {
            assert!(
                std::env::var("GEN_REQUIRE_ALL").as_deref() != Ok("1"),
                "GEN_REQUIRE_ALL: python3 with pandas and pyarrow not found (scripts/setup installs them)"
            );
            eprintln!("SKIPPED: python3 with pandas and pyarrow not found (scripts/setup installs them)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![fol_row(), code_row(), json!({"id": "n", "question": null, "score": 2.5})];
        let path = write_jsonl(dir.path(), &rows, "");
        let out = dir.path().join("data.parquet");
        write_parquet(&path, &out).unwrap();
        let script = r#"
import json, sys, pandas as pd
df = pd.read_parquet(sys.argv[1])
rows = [json.loads(l) for l in open(sys.argv[2])]
assert len(df) == len(rows), (len(df), len(rows))
for rec, row in zip(df.to_dict("records"), rows):
    for k, v in row.items():
        got = rec[k]
        if isinstance(v, (dict, list)):
            got = json.loads(got)
        if v is None:
            assert got is None or got != got, (k, got)
        else:
            assert got == v, (k, got, v)
print("ok", len(df))
"#;
        let o = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&out)
            .arg(&path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{stdout}{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(stdout.trim(), "ok 3");
    }
}
