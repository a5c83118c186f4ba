//! Cost showback: a run-rate per day from the resources environments' pods actually
//! request (the quota's measured usage when pods cannot be read), time spent asleep, and what
//! sleep saved, priced with the policy's rates and totalled per environment, owner or team.

use crate::backend::records::{self, ListOptions};
use crate::cluster::Host;
use crate::environment::{ANN_REPLICAS, Status};
use crate::error::{Result, api_code};
use crate::policy::Policy;
use crate::quantity;
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Pod, PodSpec};
use kube::api::{Api, ListParams};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GroupBy {
    #[default]
    Env,
    Owner,
    Team,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CostLine {
    pub environment: String,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub status: Status,
    /// CPU cores requested now.
    pub cpu: f64,
    /// GiB of memory requested now.
    #[serde(rename = "memoryGiB")]
    pub memory_gib: f64,
    /// `pods`, or `quota` when pods could not be listed.
    pub source: String,
    pub cost_per_day: f64,
    pub asleep_hours: f64,
    /// What the environment would cost per day awake (0 when awake).
    pub saved_per_day: f64,
    /// What sleep has saved since the environment went to sleep.
    pub saved_so_far: f64,
    /// The kind of environment (`namespace`, `vcluster`): a virtual cluster's own syncer pod
    /// counts as what it costs.
    #[serde(rename = "type")]
    pub kind: crate::environment::Kind,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CostGroup {
    pub key: String,
    pub environments: usize,
    pub cost_per_day: f64,
    pub saved_per_day: f64,
    pub saved_so_far: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CostReport {
    pub currency: String,
    pub cpu_core_hour: f64,
    #[serde(rename = "memoryGiBHour")]
    pub memory_gib_hour: f64,
    pub by: String,
    pub environments: Vec<CostLine>,
    pub groups: Vec<CostGroup>,
    pub total: CostGroup,
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// CPU cores and bytes requested by a pod spec's containers; missing requests take the
/// template's LimitRange defaults, as admission would.
pub fn spec_requests(spec: &PodSpec, default_cpu: f64, default_mem: f64) -> (f64, f64) {
    spec.containers.iter().fold((0.0, 0.0), |(c, m), ctr| {
        let req = ctr.resources.as_ref().and_then(|r| r.requests.as_ref());
        let cpu = req
            .and_then(|r| r.get("cpu"))
            .and_then(|q| quantity::parse(&q.0))
            .unwrap_or(default_cpu);
        let mem = req
            .and_then(|r| r.get("memory"))
            .and_then(|q| quantity::parse(&q.0))
            .unwrap_or(default_mem);
        (c + cpu, m + mem)
    })
}

/// Six decimals: below any currency's smallest unit, and free of float noise (0.30000000000000004).
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

pub fn per_day(policy: &Policy, cpu: f64, mem_gib: f64) -> f64 {
    (cpu * policy.cost.cpu_core_hour + mem_gib * policy.cost.memory_gib_hour) * 24.0
}

/// What every environment costs per day and what sleep saved, grouped, within the command's
/// deadline.
pub async fn report(host: &Host, by: GroupBy) -> Result<CostReport> {
    host.deadline("cost", report_inner(host, by)).await
}

async fn report_inner(host: &Host, by: GroupBy) -> Result<CostReport> {
    let c = || host.client.clone();
    let lp = ListParams::default();
    let (p_api, d_api, s_api) = (
        Api::<Pod>::all(c()),
        Api::<Deployment>::all(c()),
        Api::<StatefulSet>::all(c()),
    );
    // Everyone's environments, as `list -A` reads them (with quota usage when readable).
    let everyone = ListOptions {
        all: true,
        ..Default::default()
    };
    let (policy, envs, pods, deps, stss) = futures::join!(
        crate::policy::load(host),
        records::list(host, &everyone),
        p_api.list(&lp),
        d_api.list(&lp),
        s_api.list(&lp)
    );
    let (policy, _) = policy?;
    let envs = envs?;
    fn forbidden_ok<T: Clone>(
        host: &Host,
        r: std::result::Result<kube::core::ObjectList<T>, kube::Error>,
    ) -> Result<Option<kube::core::ObjectList<T>>> {
        match r {
            Ok(l) => Ok(Some(l)),
            Err(e) if api_code(&e) == Some(403) => Ok(None),
            Err(e) => Err(host.map(e)),
        }
    }
    let pods: Option<kube::core::ObjectList<Pod>> = forbidden_ok(host, pods)?;
    let deps: Option<kube::core::ObjectList<Deployment>> = forbidden_ok(host, deps)?;
    let stss: Option<kube::core::ObjectList<StatefulSet>> = forbidden_ok(host, stss)?;

    let now = Timestamp::now();
    // Requested now, per namespace, from pods that hold resources.
    let mut requested: HashMap<String, (f64, f64)> = HashMap::new();
    if let Some(pods) = &pods {
        for p in &pods.items {
            let phase = p.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
            if matches!(phase, "Succeeded" | "Failed") {
                continue;
            }
            if let Some(spec) = &p.spec {
                let (cpu, mem) = spec_requests(spec, 0.0, 0.0);
                let e = requested
                    .entry(p.metadata.namespace.clone().unwrap_or_default())
                    .or_default();
                e.0 += cpu;
                e.1 += mem;
            }
        }
    }
    // What sleeping workloads would request awake: recorded replicas × their pod template.
    let mut awake: HashMap<String, (f64, f64)> = HashMap::new();
    let mut add_asleep =
        |ns: Option<String>, ann: Option<&BTreeMap<String, String>>, spec: Option<&PodSpec>, template: &str| {
            let Some(n) = ann
                .and_then(|a| a.get(ANN_REPLICAS))
                .and_then(|v| v.parse::<f64>().ok())
            else {
                return;
            };
            let t = policy
                .templates
                .get(template)
                .or_else(|| policy.templates.get(&policy.default_template));
            let dc = t
                .and_then(|t| quantity::parse(&t.limits.default_cpu_request))
                .unwrap_or(0.0);
            let dm = t
                .and_then(|t| quantity::parse(&t.limits.default_memory_request))
                .unwrap_or(0.0);
            if let Some(spec) = spec {
                let (cpu, mem) = spec_requests(spec, dc, dm);
                let e = awake.entry(ns.unwrap_or_default()).or_default();
                e.0 += n * cpu;
                e.1 += n * mem;
            }
        };
    let template_of: HashMap<String, String> = envs
        .iter()
        .map(|e| (e.namespace.clone(), e.template.clone().unwrap_or_default()))
        .collect();
    let workloads = deps
        .iter()
        .flat_map(|l| l.items.iter())
        .map(|d| (&d.metadata, d.spec.as_ref().and_then(|s| s.template.spec.as_ref())))
        .chain(
            stss.iter()
                .flat_map(|l| l.items.iter())
                .map(|s| (&s.metadata, s.spec.as_ref().and_then(|s| s.template.spec.as_ref()))),
        );
    for (meta, spec) in workloads {
        let ns = meta.namespace.clone();
        let t = template_of
            .get(ns.as_deref().unwrap_or_default())
            .cloned()
            .unwrap_or_default();
        add_asleep(ns, meta.annotations.as_ref(), spec, &t);
    }

    let mut lines = Vec::new();
    for env in &envs {
        let name = env.namespace.clone();
        let (cpu, mem, source) = match (&pods, &env.quota) {
            (Some(_), _) => {
                let (c, m) = requested.get(&name).copied().unwrap_or_default();
                (c, m, "pods")
            }
            (None, Some(q)) => {
                let get = |v: &str| quantity::parse(v).unwrap_or(0.0);
                (get(&q.cpu.used), get(&q.memory.used), "quota")
            }
            (None, None) => (0.0, 0.0, "quota"),
        };
        let mem_gib = mem / GIB;
        let asleep_hours = match (env.status, env.sleeping_since) {
            (Status::Sleeping | Status::Expired, Some(t)) => ((now.as_second() - t.as_second()).max(0) as f64) / 3600.0,
            _ => 0.0,
        };
        let saved_per_day = if env.is_asleep() {
            let (c, m) = awake.get(&name).copied().unwrap_or_default();
            per_day(&policy, c, m / GIB)
        } else {
            0.0
        };
        lines.push(CostLine {
            kind: env.kind,
            environment: env.name.clone(),
            owner: env.owner.clone(),
            team: env.team.clone(),
            status: env.status,
            cpu,
            memory_gib: mem_gib,
            source: source.into(),
            cost_per_day: per_day(&policy, cpu, mem_gib),
            asleep_hours,
            saved_per_day,
            saved_so_far: saved_per_day / 24.0 * asleep_hours,
        });
    }
    lines.sort_by(|a, b| a.environment.cmp(&b.environment));
    for l in &mut lines {
        for v in [
            &mut l.cpu,
            &mut l.memory_gib,
            &mut l.cost_per_day,
            &mut l.asleep_hours,
            &mut l.saved_per_day,
            &mut l.saved_so_far,
        ] {
            *v = round6(*v);
        }
    }
    let key = |l: &CostLine| match by {
        GroupBy::Env => l.environment.clone(),
        GroupBy::Owner => l.owner.clone().unwrap_or_else(|| "-".into()),
        GroupBy::Team => l.team.clone().unwrap_or_else(|| "-".into()),
    };
    let mut groups: BTreeMap<String, CostGroup> = BTreeMap::new();
    let mut total = CostGroup {
        key: "total".into(),
        environments: 0,
        cost_per_day: 0.0,
        saved_per_day: 0.0,
        saved_so_far: 0.0,
    };
    for l in &lines {
        let k = key(l);
        let g = groups.entry(k.clone()).or_insert(CostGroup {
            key: k,
            environments: 0,
            cost_per_day: 0.0,
            saved_per_day: 0.0,
            saved_so_far: 0.0,
        });
        for g in [g, &mut total] {
            g.environments += 1;
            g.cost_per_day += l.cost_per_day;
            g.saved_per_day += l.saved_per_day;
            g.saved_so_far += l.saved_so_far;
        }
    }
    for g in groups.values_mut().chain(std::iter::once(&mut total)) {
        for v in [&mut g.cost_per_day, &mut g.saved_per_day, &mut g.saved_so_far] {
            *v = round6(*v);
        }
    }
    Ok(CostReport {
        currency: policy.cost.currency.clone(),
        cpu_core_hour: policy.cost.cpu_core_hour,
        memory_gib_hour: policy.cost.memory_gib_hour,
        by: match by {
            GroupBy::Env => "env",
            GroupBy::Owner => "owner",
            GroupBy::Team => "team",
        }
        .into(),
        environments: lines,
        groups: groups.into_values().collect(),
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, ResourceRequirements};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    #[test]
    fn requests_and_rates() {
        let c = |cpu: Option<&str>, mem: Option<&str>| Container {
            resources: Some(ResourceRequirements {
                requests: Some(
                    [
                        cpu.map(|v| ("cpu".to_string(), Quantity(v.into()))),
                        mem.map(|v| ("memory".to_string(), Quantity(v.into()))),
                    ]
                    .into_iter()
                    .flatten()
                    .collect(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        };
        let spec = PodSpec {
            containers: vec![c(Some("250m"), Some("512Mi")), c(None, None)],
            ..Default::default()
        };
        let (cpu, mem) = spec_requests(&spec, 0.1, 128.0 * 1024.0 * 1024.0);
        assert!((cpu - 0.35).abs() < 1e-9);
        assert_eq!(mem, 640.0 * 1024.0 * 1024.0);
        let mut p = Policy::default();
        p.cost.cpu_core_hour = 2.0;
        p.cost.memory_gib_hour = 0.5;
        assert_eq!(per_day(&p, 0.5, 1.0), 36.0);
    }
}
