#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>

#include "monitor/default_config.h"
#include "detectors/detector.h"
#include "monitor/app.h"
#include "monitor/reference.h"
#include "monitor/startup.h"
#include "core/event_log.h"
#include "monitor/backtest.h"
#include "monitor/whatif.h"
#include "monitor/simulate.h"
#include "monitor/eval.h"
#include "core/config.h"
#include "core/version.h"

namespace terrain::monitor {

namespace {

constexpr const char* kMainHelp = R"(terrain: watches what marketing automation does and what customers say back,
and alerts a human when the two disagree.

usage: terrain <command> [options]

commands:
  run             start the service (ingest, detection, alerts, /metrics)
  check           validate a configuration file
  default-config  print the embedded default configuration
  config-reference  print the configuration reference (Markdown)
  simulate        generate realistic multi-source traffic with an injected incident
  eval nab        score the configured detectors on the NAB anomaly benchmark
  backtest        replay historical events through a configuration; writes an HTML report
  version         print the version

Run 'terrain <command> --help' for a command's options.
)";

constexpr const char* kRunHelp = R"(usage: terrain run [--config FILE] [--listen HOST:PORT] [--data-dir DIR]

Starts terrain. Without --config it runs on its embedded default configuration
(see 'terrain default-config'). Stops cleanly on SIGINT or SIGTERM.

  --config FILE       YAML configuration (default: embedded)
  --listen HOST:PORT  address to serve HTTP on (default: server.listen, 127.0.0.1:8686;
                      port 0 picks a free port, printed in the log)
  --data-dir DIR      where the store and keys live (default: ./terrain-data)
)";

constexpr const char* kCheckHelp = R"(usage: terrain check [--config FILE] [--listen HOST:PORT] [--data-dir DIR]

Runs exactly the validation steps of `terrain run` with the same options, and nothing else:
the configuration (or, without --config, the embedded default), every detector's parameters,
every source and receiver with its keys and secrets, people and actions, the listen address
and the data directory. Nothing is created or bound. Prints 'ok' and exits 0, or prints the
first problem, naming the key and the value, exactly as `terrain run` would, and exits 1.
)";

constexpr const char* kEvalHelp = R"(usage: terrain eval nab --data DIR [--config FILE] [--results DIR]

Runs every detector of the configuration (default: embedded) over NAB-format data
(DIR/data/<category>/<file>.csv and DIR/windows.json, or NAB's own layout) point by point
with no look-ahead, and prints the normalised NAB score for the standard,
reward_low_FP_rate and reward_low_FN_rate profiles: with the threshold that maximises
the score on the data, and at 0.5, the threshold every terrain detector alerts at.
A detector's row score is 0 while the alert it fired is still open (its condition's
hold and recovery), as alerts are.

  --data DIR      the NAB corpus
  --config FILE   configuration whose detectors are scored (e.g. detectors/eval.yaml)
  --results DIR   also write DIR/<detector>/<category>/<detector>_<file>.csv
                  (timestamp,value,anomaly_score), NAB's results format; in <detector>
                  any character but letters, digits, '-', '_' and '.' is '-'
                  (hard_bounce_rate/threshold: hard_bounce_rate-threshold)
)";

constexpr const char* kBacktestHelp = R"(usage: terrain backtest --events FILE [--config FILE] [--labels FILE] [--out FILE]
       terrain backtest --from DATA_DIR [--config FILE] [--suggest all|METRIC/DETECTOR] [--out FILE]

Replays historical events through the configuration's metrics and detectors in event time,
as they would have run live (nothing is notified), and writes a self-contained HTML report:
per detector its alerts, precision, recall and median delay against the labels file; for each
series that alerted, a dated chart of its values, the band or limit, the alert spans (each
marked true or false) and the known incidents shaded.

With --from, the history is the data directory of a terrain (running or stopped): its event
log (pipeline.history_bytes of it) replayed through the candidate configuration, and the
alerts it raised, with the verdicts people gave, set against the candidate's: which alerts
would have been added, removed, raised earlier or later.

  --events FILE   terrain events (NDJSON or a JSON array, as POST /ingest/events) or
                  SendGrid Event Webhook bodies (one JSON array per line, or one array)
  --from DIR      a terrain data directory (what-if on the history it holds)
  --config FILE   the configuration to try (default: embedded)
  --suggest WHAT  with --from: for each detector people gave verdicts on (all, or one as
                  metric/detector), the setting of its main parameter that keeps every
                  confirmed alert and spares the most marked not a problem
  --labels FILE   known incidents: [{"labels": {"campaign": "..."}, "start": "RFC 3339",
                  "end": "RFC 3339"}], matched to series by their labels
  --out FILE      where to write the report (default: terrain-backtest.html)
)";

bool wants_help(const std::vector<std::string>& args) {
    for (const auto& a : args) {
        if (a == "--help" || a == "-h") {
            return true;
        }
    }
    return false;
}

// Reads "--name VALUE" and "--name=VALUE" options; refuses unknown ones.
std::map<std::string, std::string> parse_options(const std::vector<std::string>& args,
                                                 std::size_t from,
                                                 const std::vector<std::string>& allowed) {
    std::map<std::string, std::string> out;
    for (std::size_t i = from; i < args.size(); ++i) {
        std::string a = args[i];
        std::string value;
        bool has_value = false;
        if (auto eq = a.find('='); eq != std::string::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
            has_value = true;
        }
        if (std::find(allowed.begin(), allowed.end(), a) == allowed.end()) {
            throw core::ConfigError("unknown option '" + a + "'" + core::suggest(a, allowed));
        }
        if (!has_value) {
            if (i + 1 >= args.size()) {
                throw core::ConfigError("option " + a + " needs a value");
            }
            value = args[++i];
        }
        out[a] = value;
    }
    return out;
}

RunOptions run_options(const std::map<std::string, std::string>& opts) {
    RunOptions ro;
    if (auto it = opts.find("--config"); it != opts.end()) {
        ro.config_path = it->second;
    }
    if (auto it = opts.find("--listen"); it != opts.end()) {
        ro.listen = it->second;
    }
    if (auto it = opts.find("--data-dir"); it != opts.end()) {
        ro.data_dir = it->second;
    }
    return ro;
}

// The validation steps of `terrain run`, and nothing else (nothing is created or bound).
int check(const RunOptions& options) {
    const Plan plan = load_plan(options);
    const Kinds kinds;
    validate(plan, kinds);
    std::size_t detectors = 0;
    for (const auto& m : plan.config.metrics) {
        detectors += m.detectors.size();
    }
    std::cout << "ok: " << plan.origin << ": " << plan.config.metrics.size() << " metrics, "
              << detectors << " detectors, " << plan.config.sources.size() << " sources, "
              << plan.config.receivers.size() << " receivers; listen "
              << plan.config.server.listen << ", data " << plan.data_dir << "\n";
    // With history in the data directory: a filter that matched none of the last day's events
    // is most likely a typo (a campaign's name, a kind), not a quiet campaign.
    if (std::filesystem::is_directory(plan.data_dir + "/log")) {
        std::vector<core::Event> events;
        std::int64_t latest = 0;
        core::EventLog::read_only(plan.data_dir + "/log", [&](std::string&&, std::vector<core::Event>&& batch) {
            for (auto& e : batch) {
                latest = std::max(latest, e.time_ms);
                events.push_back(std::move(e));
            }
        });
        std::erase_if(events, [&](const core::Event& e) { return e.time_ms < latest - 86'400'000; });
        for (std::size_t i = 0; i < plan.config.metrics.size() && !events.empty(); ++i) {
            const auto& m = plan.config.metrics[i];
            const bool ratio = m.aggregation == core::Aggregation::kRatio;
            const auto matched = [&](const core::Filter& f) {
                return std::any_of(events.begin(), events.end(),
                                   [&](const core::Event& e) { return f.matches(e); });
            };
            for (const auto* f : ratio ? std::vector<const core::Filter*>{&m.numerator, &m.denominator}
                                       : std::vector<const core::Filter*>{&m.filter}) {
                if (!matched(*f)) {
                    std::cout << "warning: metric " << m.name << ": its "
                              << (!ratio ? "filter" : f == &m.numerator ? "numerator" : "denominator")
                              << " matched none of the " << events.size()
                              << " events of the last day in " << plan.data_dir
                              << " (check its kind and labels)\n";
                }
            }
        }
    }
    return 0;
}

}  // namespace

namespace {

const std::vector<std::string> kRunOptions = {"--config", "--listen", "--data-dir"};

int eval_command(const std::vector<std::string>& args) {
    if (args.size() < 3 || args[2] != "nab") {
        std::cout << kEvalHelp;
        return 2;
    }
    auto opts = parse_options(args, 3, {"--data", "--config", "--results"});
    if (!opts.count("--data")) {
        throw core::ConfigError("eval nab needs --data DIR");
    }
    const auto config = opts.count("--config") ? core::load_config_file(opts["--config"])
                                               : monitor::default_config();
    eval_nab(config, opts["--data"], opts.count("--results") ? opts["--results"] : "",
             std::cout);
    return 0;
}

void print_backtest(const BacktestResult& result, const std::string& out_path) {
    std::cout << result.events << " events, " << result.alerting.size() << " alerting series";
    if (!result.incidents.empty()) {
        std::cout << ", " << result.found << " of " << result.incidents.size()
                  << " labelled incidents found";
    }
    for (const auto& [key, s] : result.detectors) {
        std::cout << "\n  " << key << ": " << s.alerts << " alerts on " << s.alerting_series
                  << " of " << s.series << " series";
        if (s.recall) {
            std::cout << ", recall " << static_cast<int>(*s.recall * 100 + 0.5) << "%";
        }
        if (s.precision) {
            std::cout << ", precision " << static_cast<int>(*s.precision * 100 + 0.5) << "%";
        }
        if (s.median_delay_ms) {
            std::cout << ", median delay " << *s.median_delay_ms / 60'000 << " min";
        }
    }
    for (const auto& [name, events] : result.unjudged) {
        std::cout << "\n  " << name << ": judged nothing (" << events << " events counted)";
    }
    std::cout << "\nreport: " << out_path << "\n";
}

int backtest_command(const std::vector<std::string>& args) {
    auto opts = parse_options(args, 2, {"--events", "--from", "--config", "--labels", "--out", "--suggest"});
    if (opts.count("--events") == opts.count("--from")) {
        throw core::ConfigError("backtest needs --events FILE or --from DATA_DIR");
    }
    const auto config = opts.count("--config") ? core::load_config_file(opts["--config"])
                                               : monitor::default_config();
    const std::string out_path = opts.count("--out") ? opts["--out"] : "terrain-backtest.html";
    if (opts.count("--from")) {
        const auto whatif = run_whatif(config, {opts["--from"], true});
        std::string html = render_backtest_html(whatif.backtest, "terrain what-if: " + opts["--from"]);
        // What would differ, and the suggestions, at the top of the report as in the terminal.
        std::string said = whatif_text(whatif);
        if (opts.count("--suggest")) {
            const std::string only = opts["--suggest"] == "all" ? "" : opts["--suggest"];
            const auto found = suggest(config, opts["--from"], only);
            said += found.empty() ? "no detector has verdicts to learn from\n" : "suggestions:\n";
            for (const auto& x : found) {
                said += "  " + x.text + "\n";
            }
        }
        std::string escaped;
        for (char ch : said) {
            escaped += ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : ch == '&' ? "&amp;" : std::string(1, ch);
        }
        if (const auto at = html.find("<h2>"); at != std::string::npos) {
            html.insert(at, "<h2>What would differ</h2>\n<pre class=\"whatif\">" + escaped + "</pre>\n");
        }
        std::ofstream out(out_path);
        out << html;
        if (!out) {
            throw std::runtime_error(out_path + ": cannot write the report");
        }
        std::cout << said << "report: " << out_path << "\n";
        return 0;
    }
    BacktestOptions bo;
    bo.events_path = opts["--events"];
    bo.labels_path = opts.count("--labels") ? opts["--labels"] : "";
    if (opts.count("--out")) {
        bo.out_path = opts["--out"];
    }
    bo.progress = true;
    const auto result = run_backtest(config, bo);
    std::ofstream out(bo.out_path);
    out << render_backtest_html(result, "terrain backtest: " + bo.events_path);
    if (!out) {
        throw std::runtime_error(bo.out_path + ": cannot write the report");
    }
    print_backtest(result, bo.out_path);
    return 0;
}

// terrain's commands: name, the help `--help` prints (null: the command prints its own), and
// what it does with the whole command line.
struct Command {
    const char* name;
    const char* help;
    std::function<int(const std::vector<std::string>&)> run;
};

const std::vector<Command>& commands() {
    static const std::vector<Command> list = {
        {"run", kRunHelp,
         [](const auto& args) { return run_service(run_options(parse_options(args, 2, kRunOptions))); }},
        {"check", kCheckHelp,
         [](const auto& args) { return check(run_options(parse_options(args, 2, kRunOptions))); }},
        {"simulate", nullptr,
         [](const auto& args) {
             return run_simulate(std::vector<std::string>(args.begin() + 2, args.end()));
         }},
        {"eval", kEvalHelp, eval_command},
        {"backtest", kBacktestHelp, backtest_command},
        {"default-config",
         "usage: terrain default-config\n\nPrints the embedded default configuration, a "
         "starting point for --config.\n",
         [](const auto&) {
             std::cout << monitor::kDefaultConfigYaml;
             return 0;
         }},
        {"config-reference",
         "usage: terrain config-reference\n\nPrints the configuration reference of every source, "
         "receiver and detector\n(Markdown, from the keys `terrain check` accepts).\n",
         [](const auto&) {
             std::cout << monitor::config_reference(monitor::Kinds());
             return 0;
         }},
        {"version", "usage: terrain version\n\nPrints terrain's version and revision.\n",
         [](const auto&) {
             std::cout << "terrain " << core::kVersion << " (" << core::kRevision << ")\n";
             return 0;
         }},
    };
    return list;
}

}  // namespace

int main_with_args(const std::vector<std::string>& args) {
    try {
        if (args.size() < 2 || args[1] == "--help" || args[1] == "-h" || args[1] == "help") {
            std::cout << kMainHelp;
            return args.size() < 2 ? 2 : 0;
        }
        const std::string cmd = args[1] == "--version" ? "version" : args[1];
        std::vector<std::string> names;
        for (const auto& c : commands()) {
            names.emplace_back(c.name);
            if (c.name != cmd) {
                continue;
            }
            if (c.help != nullptr && wants_help(args)) {
                std::cout << c.help;
                return 0;
            }
            return c.run(args);
        }
        std::cerr << "terrain: unknown command '" << cmd << "'" << core::suggest(cmd, names)
                  << "\n\n"
                  << kMainHelp;
        return 2;
    } catch (const core::ConfigError& e) {
        std::cerr << "terrain: configuration error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "terrain: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace terrain::monitor
