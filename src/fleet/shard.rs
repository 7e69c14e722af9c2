//! Shards: `--shard I/N` takes the repositories whose position `p` (0-based, among the list's
//! repository lines) has `p % N == I - 1`, as `cargo nextest --partition count:I/N` counts.
//! `--shard auto` reads the shard from the environment a CI engine or batch system sets.

use serde::{Deserialize, Serialize};

use super::error::FleetError;

/// One shard of a fleet: `index` of `count`, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Shard {
    pub(crate) index: usize,
    pub(crate) count: usize,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The whole fleet as one shard.
    pub(crate) const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Whether the repository at `position` belongs to this shard.
    pub(crate) fn selects(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }

    /// Parses `I/N`.
    pub(crate) fn parse(text: &str) -> Result<Shard, FleetError> {
        let bad = || {
            FleetError::BadShard(format!(
                "`{text}` is not a shard: expected `I/N` with 1 <= I <= N"
            ))
        };
        let (i, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// What `--shard` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShardArg {
    Fixed(Shard),
    Auto,
}

impl std::str::FromStr for ShardArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "auto" {
            return Ok(ShardArg::Auto);
        }
        Shard::parse(s)
            .map(ShardArg::Fixed)
            .map_err(|e| e.to_string())
    }
}

/// Every variable [`shard_from_env`] reads, in the order it reads them, for messages.
pub(crate) const LOOKED_FOR: &str = "REMEDY_SHARD (I/N); CI_NODE_INDEX + CI_NODE_TOTAL (GitLab); JOB_COMPLETION_INDEX + REMEDY_SHARD_COUNT (Kubernetes Indexed Job); SLURM_ARRAY_TASK_ID + SLURM_ARRAY_TASK_COUNT (+ SLURM_ARRAY_TASK_MIN) (Slurm)";

/// The shard the environment names, read through `env` (so tests need no process environment).
///
/// The first engine whose index variable is set decides; its other variables must then be set
/// and consistent, or this is an error rather than a guess from the next engine:
/// - `REMEDY_SHARD=I/N` (the generated GitHub Actions workflow sets it from its matrix);
/// - GitLab's `parallel:`: `CI_NODE_INDEX` (1-based) and `CI_NODE_TOTAL`;
/// - a Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` (0-based) and `REMEDY_SHARD_COUNT`, which
///   the Job must set equal to its `completions` (Kubernetes sets no count);
/// - a Slurm job array: `SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN` (0 when unset), of
///   `SLURM_ARRAY_TASK_COUNT`.
pub(crate) fn shard_from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, FleetError> {
    let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let inconsistent = |message: String| FleetError::InconsistentShardEnv {
        message,
        looked_for: LOOKED_FOR.to_string(),
    };
    let number = |name: &str, value: &str| -> Result<usize, FleetError> {
        value
            .trim()
            .parse::<usize>()
            .map_err(|_| inconsistent(format!("{name}=`{value}` is not a whole number")))
    };
    let need = |name: &str, with: &str| -> Result<String, FleetError> {
        get(name).ok_or_else(|| inconsistent(format!("{with} is set but {name} is not")))
    };
    // index is 0-based here.
    let make = |index0: usize, count: usize, what: String| -> Result<Shard, FleetError> {
        if count == 0 || index0 >= count {
            return Err(inconsistent(what));
        }
        Ok(Shard {
            index: index0 + 1,
            count,
        })
    };

    if let Some(v) = get("REMEDY_SHARD") {
        return Shard::parse(&v).map_err(|_| {
            inconsistent(format!("REMEDY_SHARD=`{v}` is not `I/N` with 1 <= I <= N"))
        });
    }
    if let Some(i) = get("CI_NODE_INDEX") {
        let n = need("CI_NODE_TOTAL", "CI_NODE_INDEX")?;
        let (iv, nv) = (number("CI_NODE_INDEX", &i)?, number("CI_NODE_TOTAL", &n)?);
        return make(
            iv.wrapping_sub(1),
            nv,
            format!("CI_NODE_INDEX={i} is not between 1 and CI_NODE_TOTAL={n}"),
        );
    }
    if let Some(i) = get("JOB_COMPLETION_INDEX") {
        let n = need("REMEDY_SHARD_COUNT", "JOB_COMPLETION_INDEX")?;
        let (iv, nv) = (
            number("JOB_COMPLETION_INDEX", &i)?,
            number("REMEDY_SHARD_COUNT", &n)?,
        );
        return make(
            iv,
            nv,
            format!("JOB_COMPLETION_INDEX={i} is not below REMEDY_SHARD_COUNT={n}"),
        );
    }
    if let Some(i) = get("SLURM_ARRAY_TASK_ID") {
        let n = need("SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_ID")?;
        let min = match get("SLURM_ARRAY_TASK_MIN") {
            Some(m) => number("SLURM_ARRAY_TASK_MIN", &m)?,
            None => 0,
        };
        let (iv, nv) = (
            number("SLURM_ARRAY_TASK_ID", &i)?,
            number("SLURM_ARRAY_TASK_COUNT", &n)?,
        );
        let Some(index0) = iv.checked_sub(min) else {
            return Err(inconsistent(format!(
                "SLURM_ARRAY_TASK_ID={i} is below SLURM_ARRAY_TASK_MIN={min}"
            )));
        };
        return make(
            index0,
            nv,
            format!("SLURM_ARRAY_TASK_ID={i} minus SLURM_ARRAY_TASK_MIN={min} is not below SLURM_ARRAY_TASK_COUNT={n} (a job array with a step, `--array=0-9:2`, is not a contiguous range: use REMEDY_SHARD)"),
        );
    }
    Err(FleetError::NoShardInEnv {
        looked_for: LOOKED_FOR.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let owned: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            owned
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn shard(i: usize, n: usize) -> Shard {
        Shard { index: i, count: n }
    }

    #[test]
    fn selection_partitions_the_positions() {
        let shards: Vec<Shard> = (1..=4).map(|i| shard(i, 4)).collect();
        let mut seen = [0; 21];
        for s in &shards {
            for (p, hits) in seen.iter_mut().enumerate() {
                if s.selects(p) {
                    *hits += 1;
                }
            }
        }
        assert!(seen.iter().all(|&n| n == 1));
        let first: Vec<usize> = (0..10).filter(|p| shard(1, 4).selects(*p)).collect();
        assert_eq!(first, [0, 4, 8]);
        let third: Vec<usize> = (0..10).filter(|p| shard(3, 4).selects(*p)).collect();
        assert_eq!(third, [2, 6]);
        assert!((0..5).all(|p| Shard::WHOLE.selects(p)));
    }

    #[test]
    fn parses_i_of_n() {
        assert_eq!(Shard::parse("2/4").unwrap(), shard(2, 4));
        assert_eq!(Shard::parse("1/1").unwrap(), shard(1, 1));
        for bad in ["0/4", "5/4", "1/0", "a/b", "3", "", "1/2/3", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert_eq!("auto".parse::<ShardArg>().unwrap(), ShardArg::Auto);
        assert_eq!(
            "3/5".parse::<ShardArg>().unwrap(),
            ShardArg::Fixed(shard(3, 5))
        );
    }

    #[test]
    fn remedy_shard() {
        assert_eq!(
            shard_from_env(&env(&[("REMEDY_SHARD", "3/4")])).unwrap(),
            shard(3, 4)
        );
        // It wins over any other engine's variables.
        assert_eq!(
            shard_from_env(&env(&[
                ("REMEDY_SHARD", "1/2"),
                ("CI_NODE_INDEX", "2"),
                ("CI_NODE_TOTAL", "2")
            ]))
            .unwrap(),
            shard(1, 2)
        );
        assert!(matches!(
            shard_from_env(&env(&[("REMEDY_SHARD", "5/4")])),
            Err(FleetError::InconsistentShardEnv { .. })
        ));
    }

    #[test]
    fn gitlab_is_one_based() {
        let vars = [("CI_NODE_INDEX", "1"), ("CI_NODE_TOTAL", "3")];
        assert_eq!(shard_from_env(&env(&vars)).unwrap(), shard(1, 3));
        let vars = [("CI_NODE_INDEX", "3"), ("CI_NODE_TOTAL", "3")];
        assert_eq!(shard_from_env(&env(&vars)).unwrap(), shard(3, 3));
        for vars in [
            vec![("CI_NODE_INDEX", "0"), ("CI_NODE_TOTAL", "3")],
            vec![("CI_NODE_INDEX", "4"), ("CI_NODE_TOTAL", "3")],
            vec![("CI_NODE_INDEX", "1")],
            vec![("CI_NODE_INDEX", "x"), ("CI_NODE_TOTAL", "3")],
        ] {
            assert!(
                matches!(
                    shard_from_env(&env(&vars)),
                    Err(FleetError::InconsistentShardEnv { .. })
                ),
                "{vars:?}"
            );
        }
    }

    #[test]
    fn kubernetes_is_zero_based_with_our_count() {
        let vars = [("JOB_COMPLETION_INDEX", "0"), ("REMEDY_SHARD_COUNT", "4")];
        assert_eq!(shard_from_env(&env(&vars)).unwrap(), shard(1, 4));
        let vars = [("JOB_COMPLETION_INDEX", "3"), ("REMEDY_SHARD_COUNT", "4")];
        assert_eq!(shard_from_env(&env(&vars)).unwrap(), shard(4, 4));
        let vars = [("JOB_COMPLETION_INDEX", "4"), ("REMEDY_SHARD_COUNT", "4")];
        assert!(shard_from_env(&env(&vars)).is_err());
        let vars = [("JOB_COMPLETION_INDEX", "0")];
        match shard_from_env(&env(&vars)) {
            Err(FleetError::InconsistentShardEnv { message, .. }) => {
                assert!(message.contains("REMEDY_SHARD_COUNT"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn slurm_counts_from_the_array_minimum() {
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ];
        assert_eq!(shard_from_env(&env(&vars)).unwrap(), shard(1, 2));
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ];
        assert_eq!(shard_from_env(&env(&vars)).unwrap(), shard(3, 3));
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_MIN", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ];
        assert!(shard_from_env(&env(&vars)).is_err());
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ];
        assert!(shard_from_env(&env(&vars)).is_err());
    }

    #[test]
    fn nothing_set_names_every_variable() {
        match shard_from_env(&env(&[("CI_NODE_TOTAL", "3")])) {
            Err(e @ FleetError::NoShardInEnv { .. }) => {
                let text = e.to_string();
                for name in [
                    "REMEDY_SHARD",
                    "CI_NODE_INDEX",
                    "CI_NODE_TOTAL",
                    "JOB_COMPLETION_INDEX",
                    "REMEDY_SHARD_COUNT",
                    "SLURM_ARRAY_TASK_ID",
                    "SLURM_ARRAY_TASK_MIN",
                    "SLURM_ARRAY_TASK_COUNT",
                ] {
                    assert!(text.contains(name), "{name} missing from {text}");
                }
            }
            other => panic!("{other:?}"),
        }
    }
}
