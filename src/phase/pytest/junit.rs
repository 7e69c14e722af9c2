//! Reading pytest's JUnit XML into per-test results.
//!
//! The XML is the one place pytest reports every test with its file, outcome and message in a form
//! meant for machines; its ids are rebuilt here in pytest's own `file::Class::name` form so they
//! match what users write in `must_pass`.

use crate::state::checkpoint::{TestResult, TestStatus};

/// How many lines of a failure message are kept.
const MESSAGE_LINES: usize = 6;

/// Reads pytest's JUnit XML (xunit1 family, which carries each test's file).
pub(crate) fn parse_junit(xml: &str) -> Vec<TestResult> {
    let Ok(doc) = roxmltree::Document::parse(xml) else {
        return Vec::new();
    };
    let mut tests = Vec::new();
    for case in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
        let name = case.attribute("name").unwrap_or("?");
        let classname = case.attribute("classname").unwrap_or("");
        let id = match case.attribute("file") {
            Some(file) => {
                let module = file.trim_end_matches(".py").replace('/', ".");
                let class = classname
                    .strip_prefix(&module)
                    .unwrap_or("")
                    .trim_start_matches('.');
                if class.is_empty() {
                    format!("{file}::{name}")
                } else {
                    format!("{file}::{}::{name}", class.replace('.', "::"))
                }
            }
            None if classname.is_empty() => name.to_string(),
            None => format!("{classname}::{name}"),
        };
        let mut status = TestStatus::Passed;
        let mut message = None;
        for child in case.children().filter(|c| c.is_element()) {
            let (s, take) = match child.tag_name().name() {
                "failure" => (TestStatus::Failed, true),
                "error" => (TestStatus::Error, true),
                "skipped" => (TestStatus::Skipped, false),
                _ => continue,
            };
            // A test that failed and then errored in teardown counts as failed.
            if status == TestStatus::Passed || s == TestStatus::Failed {
                status = s;
            }
            if take && message.is_none() {
                let text = child
                    .attribute("message")
                    .map(str::to_string)
                    .unwrap_or_default();
                let body = child.text().unwrap_or("");
                let full = if text.is_empty() {
                    body.to_string()
                } else {
                    text
                };
                message = Some(
                    full.lines()
                        .take(MESSAGE_LINES)
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
            }
        }
        tests.push(TestResult {
            id,
            status,
            message,
        });
    }
    tests
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_junit_ids_and_messages() {
        let xml = r#"<?xml version="1.0"?><testsuites><testsuite name="pytest">
          <testcase classname="tests.unit.test_m" name="test_a" file="tests/unit/test_m.py" line="3" time="0.1"/>
          <testcase classname="tests.unit.test_m.TestK" name="test_b[x]" file="tests/unit/test_m.py" line="9" time="0.1">
            <failure message="TypeError: object WebSocketManager can't be used in 'await' expression">trace</failure>
          </testcase>
          <testcase classname="tests.unit.test_m" name="test_c" file="tests/unit/test_m.py"><skipped message="later"/></testcase>
        </testsuite></testsuites>"#;
        let tests = parse_junit(xml);
        assert_eq!(tests[0].id, "tests/unit/test_m.py::test_a");
        assert_eq!(tests[1].id, "tests/unit/test_m.py::TestK::test_b[x]");
        assert_eq!(tests[1].status, TestStatus::Failed);
        assert!(tests[1]
            .message
            .as_deref()
            .unwrap()
            .contains("can't be used in 'await'"));
        assert_eq!(tests[2].status, TestStatus::Skipped);
    }
}
