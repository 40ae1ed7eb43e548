//! `slotbook-wasm-imports WASM JS…`: renames the wasm-bindgen imports of WASM (`__wbg_now_a1b2c3…`,
//! `__wbindgen_throw`) to short names (`w0`, `w1`, …) and the same names in each JS file, in place. The long
//! names carry a 16-digit hash each; in the widget's files and the Worker they are ~10 KB of text that
//! compresses poorly. Imports are called by index, so nothing else in the wasm changes.

use std::collections::HashMap;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((wasm_path, js_paths)) = args.split_first() else {
        eprintln!("usage: slotbook-wasm-imports WASM JS…");
        return ExitCode::from(2);
    };
    let run = || -> Result<usize, String> {
        let wasm = std::fs::read(wasm_path).map_err(|e| format!("{wasm_path}: {e}"))?;
        let (wasm, names) = shorten_imports(&wasm)?;
        for path in js_paths {
            let js = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            std::fs::write(path, rename_in_js(&js, &names)).map_err(|e| format!("{path}: {e}"))?;
        }
        std::fs::write(wasm_path, wasm).map_err(|e| format!("{wasm_path}: {e}"))?;
        Ok(names.len())
    };
    match run() {
        Ok(n) => {
            eprintln!("[wasm-imports] {wasm_path}: {n} imports renamed");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("[wasm-imports] {e}");
            ExitCode::FAILURE
        }
    }
}

/// Whether an import is one of wasm-bindgen's (the only ones its glue names).
fn is_bindgen(field: &str) -> bool {
    field.starts_with("__wbg_") || field.starts_with("__wbindgen_")
}

/// The wasm with its wasm-bindgen imports renamed, and the old name → new name map.
pub fn shorten_imports(wasm: &[u8]) -> Result<(Vec<u8>, HashMap<String, String>), String> {
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        return Err("not a wasm file".into());
    }
    let mut out = wasm[..8].to_vec();
    let mut names = HashMap::new();
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        let (size, body_at) = leb(wasm, at + 1)?;
        let body = wasm
            .get(body_at..body_at + size as usize)
            .ok_or("a section runs past the end")?;
        let body = if id == 2 {
            rename_section(body, &mut names)?
        } else {
            body.to_vec()
        };
        out.push(id);
        out.extend(uleb(body.len() as u64));
        out.extend(body);
        at = body_at + size as usize;
    }
    Ok((out, names))
}

/// The import section with its wasm-bindgen field names replaced (module names and descriptions kept).
fn rename_section(body: &[u8], names: &mut HashMap<String, String>) -> Result<Vec<u8>, String> {
    let (count, mut at) = leb(body, 0)?;
    let mut out = uleb(count);
    for _ in 0..count {
        let (module, next) = name(body, at)?;
        let (field, next) = name(body, next)?;
        let desc_at = next;
        let desc_end = skip_import_desc(body, desc_at)?;
        let field = if is_bindgen(&field) {
            let short = format!("w{:x}", names.len());
            names.insert(field, short.clone());
            short
        } else {
            field
        };
        for text in [&module, &field] {
            out.extend(uleb(text.len() as u64));
            out.extend(text.as_bytes());
        }
        out.extend(&body[desc_at..desc_end]);
        at = desc_end;
    }
    Ok(out)
}

/// Where an import's description (function, table, memory, global or tag) ends.
fn skip_import_desc(body: &[u8], at: usize) -> Result<usize, String> {
    let kind = *body.get(at).ok_or("an import without a description")?;
    let limits = |at: usize| -> Result<usize, String> {
        let flags = *body.get(at).ok_or("truncated limits")?;
        let (_, mut at) = leb(body, at + 1)?;
        if flags & 1 == 1 {
            at = leb(body, at)?.1;
        }
        Ok(at)
    };
    match kind {
        0 => Ok(leb(body, at + 1)?.1), // function: its type index
        1 => limits(at + 2),           // table: element type, limits
        2 => limits(at + 1),           // memory: limits
        3 => Ok(at + 3),               // global: value type, mutability
        4 => Ok(leb(body, at + 2)?.1), // tag: attribute, type index
        k => Err(format!("unknown import kind {k}")),
    }
}

fn name(body: &[u8], at: usize) -> Result<(String, usize), String> {
    let (len, at) = leb(body, at)?;
    let bytes = body.get(at..at + len as usize).ok_or("a name runs past the end")?;
    Ok((
        String::from_utf8(bytes.to_vec()).map_err(|_| "a name is not UTF-8")?,
        at + len as usize,
    ))
}

fn leb(bytes: &[u8], mut at: usize) -> Result<(u64, usize), String> {
    let (mut value, mut shift) = (0u64, 0);
    loop {
        let b = *bytes.get(at).ok_or("truncated LEB128 number")?;
        at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok((value, at));
        }
        shift += 7;
        if shift > 63 {
            return Err("LEB128 number too long".into());
        }
    }
}

fn uleb(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// The JS with each old name replaced where it stands as a whole identifier (never inside a longer one).
pub fn rename_in_js(js: &str, names: &HashMap<String, String>) -> String {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(js.len());
    let mut rest = js;
    while let Some(start) = rest.find("__w") {
        let boundary = !rest[..start].chars().next_back().is_some_and(ident);
        let end = rest[start..]
            .find(|c: char| !ident(c))
            .map_or(rest.len(), |e| start + e);
        out.push_str(&rest[..start]);
        match names.get(&rest[start..end]) {
            Some(short) if boundary => out.push_str(short),
            _ => out.push_str(&rest[start..end]),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module importing a function, a memory and a table, with a code-like section after the imports.
    fn module() -> Vec<u8> {
        let mut imports = uleb(4);
        for (module, field, desc) in [
            ("wbg", "__wbg_now_0123456789abcdef", vec![0u8, 0]),
            ("wbg", "__wbindgen_throw", vec![0, 1]),
            ("env", "memory", vec![2, 1, 1, 2]),
            ("wbg", "__wbindgen_externrefs", vec![1, 0x6f, 0, 4]),
        ] {
            for text in [module, field] {
                imports.extend(uleb(text.len() as u64));
                imports.extend(text.as_bytes());
            }
            imports.extend(desc);
        }
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend([1, 4, 1, 0x60, 0, 0]); // type section
        wasm.push(2);
        wasm.extend(uleb(imports.len() as u64));
        wasm.extend(imports);
        wasm.extend([10, 3, 1, 1, 0x0b]); // a section after, kept as it is
        wasm
    }

    #[test]
    fn renames_bindgen_imports_and_keeps_the_rest() {
        let (out, names) = shorten_imports(&module()).unwrap();
        assert_eq!(names.len(), 3, "{names:?}");
        assert_eq!(names["__wbg_now_0123456789abcdef"], "w0");
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("__wbg") && !text.contains("__wbindgen") && text.contains("memory"));
        assert!(
            out.ends_with(&[10, 3, 1, 1, 0x0b]),
            "the sections after the imports are unchanged"
        );
        // Read again: the same four imports, in order, with the same descriptions.
        let (again, more) = shorten_imports(&out).unwrap();
        assert!(more.is_empty() && again == out, "a second run changes nothing");
        assert_eq!(
            out.len(),
            module().len()
                - ("__wbg_now_0123456789abcdef".len() + "__wbindgen_throw".len() + "__wbindgen_externrefs".len() - 6)
        );
    }

    #[test]
    fn renames_whole_identifiers_only() {
        let names = HashMap::from([
            ("__wbindgen_throw".to_string(), "w1".to_string()),
            ("__wbg_a_1".to_string(), "w0".to_string()),
        ]);
        let js = "imports.wbg.__wbindgen_throw=function(){};x.__wbindgen_throw_extra=1;my__wbg_a_1=2;({__wbg_a_1:f})";
        assert_eq!(
            rename_in_js(js, &names),
            "imports.wbg.w1=function(){};x.__wbindgen_throw_extra=1;my__wbg_a_1=2;({w0:f})"
        );
    }

    #[test]
    fn refuses_what_is_not_wasm() {
        assert!(shorten_imports(b"not wasm").is_err());
        let mut cut = module();
        cut.truncate(20);
        assert!(shorten_imports(&cut).is_err());
    }
}
