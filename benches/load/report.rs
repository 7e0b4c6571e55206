//! Markdown tables of the measured values (printed and written to `benches/RESULTS.md`).

use std::fmt::Write;

use crate::scenario::{Outcome, mib};
use crate::steps::{Step, best};

/// The summary table (one row per scenario) followed by one ladder table per scenario.
pub fn markdown(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| scenario | clients | tokens | max sustained events/s | client frames/s | baseline frames/s | pnutkey / baseline | p50 / p99 / max latency at that step | bridge RSS before clients | RSS per idle client | RSS per client under load | bridge CPU µs per client frame | upstream streams / subscriptions | upstream REST calls (top) |"
    );
    let _ = writeln!(
        out,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for o in outcomes {
        let best_step = best(&o.steps);
        let best_base = best(&o.baseline);
        let ratio = match (best_step, best_base) {
            (Some(s), Some(b)) if b.delivered_fps > 0.0 => {
                format!("{:.2}", s.delivered_fps / b.delivered_fps)
            }
            _ => "–".into(),
        };
        let (eps, fps, lat, cpu) = best_step.map_or_else(
            || {
                (
                    "none kept up".to_string(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                )
            },
            |s| {
                (
                    format!("{:.0}", s.offered_eps),
                    format!("{:.0}", s.delivered_fps),
                    format!(
                        "{} / {} / {} µs",
                        s.latency.p50_us, s.latency.p99_us, s.latency.max_us
                    ),
                    cpu_per_frame(s),
                )
            },
        );
        let base = best_base.map_or("–".into(), |b| format!("{:.0}", b.delivered_fps));
        let u = &o.upstream;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {eps} | {fps} | {base} | {ratio} | {lat} | {:.1} MiB | {:.1} KiB | {:.1} KiB | {cpu} | pnut {}/{}, misskey {}/{} | pnut {}, misskey {} ({}) |",
            o.name,
            o.clients,
            o.tokens,
            mib(o.before.rss_bytes),
            o.idle_rss_per_client() / 1024.0,
            o.loaded_rss_per_client() / 1024.0,
            u.pnut_streams,
            u.pnut_subscriptions,
            u.misskey_sockets,
            u.misskey_channels,
            u.pnut_rest_calls,
            u.misskey_rest_calls,
            u.top_calls,
        );
    }
    for o in outcomes {
        if let Some((commands, publishes)) = o.redis_per_event {
            let _ = writeln!(
                out,
                "\n{}: {} instances (RSS and CPU summed over them); Redis per event: {commands:.2} commands, {publishes:.2} PUBLISH.",
                o.name, o.instances
            );
        }
    }
    for o in outcomes {
        let _ = writeln!(out, "\n#### {} ({} clients)\n", o.name, o.clients);
        ladder_table(&mut out, "pnutkey", &o.steps);
        if !o.baseline.is_empty() {
            let _ = writeln!(out);
            ladder_table(&mut out, "raw baseline", &o.baseline);
        }
    }
    out
}

fn cpu_per_frame(step: &Step) -> String {
    if step.received == 0 || step.cpu_secs <= 0.0 {
        return "–".into();
    }
    format!("{:.2}", step.cpu_secs * 1e6 / step.received as f64)
}

fn ladder_table(out: &mut String, who: &str, steps: &[Step]) {
    let _ = writeln!(
        out,
        "| {who}: offered events/s | sent | client frames/s | delivered | p50 µs | p99 µs | max µs | bridge CPU s | CPU µs/frame | bridge RSS MiB | clients closed |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|");
    for s in steps {
        let _ = writeln!(
            out,
            "| {:.0} | {} | {:.0} | {:.1} % | {} | {} | {} | {:.2} | {} | {:.1} | {} |",
            s.offered_eps,
            s.sent,
            s.delivered_fps,
            s.ratio() * 100.0,
            s.latency.p50_us,
            s.latency.p99_us,
            s.latency.max_us,
            s.cpu_secs,
            cpu_per_frame(s),
            mib(s.rss_bytes),
            s.closed,
        );
    }
}
