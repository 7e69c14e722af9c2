//! Count expectations such as `>= 1`, `== 0` or `47`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Op {
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "<")]
    Lt,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Lt => "<",
        }
    }
}

/// A comparison of a count against a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Expect {
    pub(crate) op: Op,
    pub(crate) value: u64,
}

impl Expect {
    pub(crate) fn holds(&self, actual: u64) -> bool {
        match self.op {
            Op::Eq => actual == self.value,
            Op::Ne => actual != self.value,
            Op::Ge => actual >= self.value,
            Op::Le => actual <= self.value,
            Op::Gt => actual > self.value,
            Op::Lt => actual < self.value,
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.op.as_str(), self.value)
    }
}

pub(crate) const EXPECT_HELP: &str =
    "write a comparison and a whole number: `== 0`, `>= 1`, `<= 47`, `!= 0`, `> 2`, `< 10`, or just `47`";

impl FromStr for Expect {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (op, rest) = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            (">=", Op::Ge),
            ("<=", Op::Le),
            (">", Op::Gt),
            ("<", Op::Lt),
            ("=", Op::Eq),
        ]
        .iter()
        .find_map(|(tok, op)| s.strip_prefix(tok).map(|r| (*op, r)))
        .unwrap_or((Op::Eq, s));
        let rest = rest.trim();
        let value = rest
            .parse::<u64>()
            .map_err(|_| format!("`{s}` is not a count expectation"))?;
        Ok(Expect { op, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_forms() {
        assert_eq!(
            "== 0".parse::<Expect>().unwrap(),
            Expect {
                op: Op::Eq,
                value: 0
            }
        );
        assert_eq!(
            ">=1".parse::<Expect>().unwrap(),
            Expect {
                op: Op::Ge,
                value: 1
            }
        );
        assert_eq!(
            " 47 ".parse::<Expect>().unwrap(),
            Expect {
                op: Op::Eq,
                value: 47
            }
        );
        assert!("<= 47".parse::<Expect>().unwrap().holds(47));
        assert!(!"> 3".parse::<Expect>().unwrap().holds(3));
        assert!("=> 1".parse::<Expect>().is_err());
        assert!(">= -1".parse::<Expect>().is_err());
        assert!("many".parse::<Expect>().is_err());
    }
}
