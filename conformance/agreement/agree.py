"""Compares two Autobahn-style reports (real wstest vs `wsspec run`) case by case.

    python3 agree.py [--markdown FILE] WSTEST_INDEX WSSPEC_INDEX
    python3 agree.py [--markdown FILE] --pair NAME WSTEST_INDEX WSSPEC_INDEX [--pair ...]

Each INDEX is an index.json (agent -> case id -> {behavior, behaviorClose, ...}) or the
directory holding it. Per server it prints the cases in both reports, the share with an
identical `behavior` and an identical `behaviorClose`, the verdict tallies of each side,
and every disagreement as `id  wstest=BEHAVIOR/CLOSE  wsspec=BEHAVIOR/CLOSE`; --markdown
also writes a table of all servers (and the disagreements) to FILE.

Exit status: 0 when every server agrees on at least 99 % of its cases on both fields and
no case is in one report only, 1 otherwise, 2 on a usage error or an unreadable report.
Standard library only.
"""

import argparse
import collections
import json
import os
import sys

THRESHOLD = 99.0


class ReportError(Exception):
    pass


def case_key(case_id):
    """Sorts "6.10.1" after "6.9.2", as the catalog does."""
    return tuple(int(p) if p.isdigit() else p for p in case_id.split("."))


def load(path, agent):
    """The case -> result map for one agent of an index.json.

    Takes the agent named `agent` if the report has it, else the report's only agent.
    """
    if os.path.isdir(path):
        path = os.path.join(path, "index.json")
    try:
        with open(path, encoding="utf-8") as f:
            index = json.load(f)
    except (OSError, ValueError) as e:
        raise ReportError("cannot read %s: %s" % (path, e))
    if not isinstance(index, dict) or not index:
        raise ReportError("%s: not an index.json (agent -> case -> result)" % path)
    if agent is not None and agent in index:
        cases = index[agent]
    elif len(index) == 1:
        cases = next(iter(index.values()))
    else:
        raise ReportError(
            "%s has agents %s; none is %r" % (path, ", ".join(sorted(index)), agent)
        )
    if not isinstance(cases, dict):
        raise ReportError("%s: agent entry is not a case map" % path)
    # wsspec marks an interrupted run with a non-case key (wsspecIncomplete); Autobahn's
    # case ids never start with a letter.
    return {k: v for k, v in cases.items() if not k.startswith("wsspec")}


def verdicts(result):
    return result.get("behavior", "?"), result.get("behaviorClose", "?")


def tally(cases, field):
    counts = collections.Counter(r.get(field, "?") for r in cases.values())
    return ", ".join("%s %d" % (v, n) for v, n in sorted(counts.items(), key=lambda x: (-x[1], x[0])))


def percent(n, total):
    return 100.0 * n / total if total else 0.0


def compare(name, wstest, wsspec):
    both = sorted(set(wstest) & set(wsspec), key=case_key)
    only_a = sorted(set(wstest) - set(wsspec), key=case_key)
    only_b = sorted(set(wsspec) - set(wstest), key=case_key)
    same_behavior = sum(wstest[c].get("behavior") == wsspec[c].get("behavior") for c in both)
    same_close = sum(wstest[c].get("behaviorClose") == wsspec[c].get("behaviorClose") for c in both)
    disagreements = [
        (c, verdicts(wstest[c]), verdicts(wsspec[c]))
        for c in both
        if verdicts(wstest[c]) != verdicts(wsspec[c])
    ]
    row = {
        "name": name,
        "both": len(both),
        "only_wstest": only_a,
        "only_wsspec": only_b,
        "behavior": percent(same_behavior, len(both)),
        "close": percent(same_close, len(both)),
        "disagreements": disagreements,
        "tally_wstest": (tally(wstest, "behavior"), tally(wstest, "behaviorClose")),
        "tally_wsspec": (tally(wsspec, "behavior"), tally(wsspec, "behaviorClose")),
    }
    row["ok"] = (
        len(both) > 0
        and not only_a
        and not only_b
        and row["behavior"] >= THRESHOLD
        and row["close"] >= THRESHOLD
    )
    return row


def print_row(row):
    print("== %s: %d cases in both reports" % (row["name"], row["both"]))
    if row["only_wstest"]:
        print("   only in wstest (%d): %s" % (len(row["only_wstest"]), " ".join(row["only_wstest"])))
    if row["only_wsspec"]:
        print("   only in wsspec (%d): %s" % (len(row["only_wsspec"]), " ".join(row["only_wsspec"])))
    print("   behavior       identical in %6.2f %%" % row["behavior"])
    print("   behaviorClose  identical in %6.2f %%" % row["close"])
    print("   wstest  behavior: %s; behaviorClose: %s" % row["tally_wstest"])
    print("   wsspec  behavior: %s; behaviorClose: %s" % row["tally_wsspec"])
    for case, (ab, ac), (bb, bc) in row["disagreements"]:
        print("%-10s  wstest=%s/%s  wsspec=%s/%s" % (case, ab, ac, bb, bc))
    print("   %s" % ("AGREE" if row["ok"] else "DISAGREE (below %.0f %% or cases missing)" % THRESHOLD))


def markdown(rows, subject="server"):
    lines = [
        "| %s | cases in both | only wstest | only wsspec | identical behavior | identical behaviorClose | disagreements |"
        % subject,
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            "| %s | %d | %d | %d | %.2f %% | %.2f %% | %d |"
            % (
                r["name"],
                r["both"],
                len(r["only_wstest"]),
                len(r["only_wsspec"]),
                r["behavior"],
                r["close"],
                len(r["disagreements"]),
            )
        )
    lines.append("")
    lines.append("Verdict tallies (behavior; behaviorClose):")
    lines.append("")
    for r in rows:
        lines.append("- %s, wstest: %s; %s" % ((r["name"],) + r["tally_wstest"]))
        lines.append("- %s, wsspec: %s; %s" % ((r["name"],) + r["tally_wsspec"]))
    for r in rows:
        if r["disagreements"] or r["only_wstest"] or r["only_wsspec"]:
            lines.append("")
            lines.append("### %s" % r["name"])
            lines.append("")
            lines.append("```")
            for case, (ab, ac), (bb, bc) in r["disagreements"]:
                lines.append("%-10s  wstest=%s/%s  wsspec=%s/%s" % (case, ab, ac, bb, bc))
            if r["only_wstest"]:
                lines.append("only in wstest: " + " ".join(r["only_wstest"]))
            if r["only_wsspec"]:
                lines.append("only in wsspec: " + " ".join(r["only_wsspec"]))
            lines.append("```")
    return "\n".join(lines) + "\n"


def main(argv):
    parser = argparse.ArgumentParser(
        description="Compare wstest and wsspec run reports case by case."
    )
    parser.add_argument("indexes", nargs="*", metavar="INDEX", help="WSTEST_INDEX WSSPEC_INDEX")
    parser.add_argument(
        "--pair",
        nargs=3,
        action="append",
        default=[],
        metavar=("NAME", "WSTEST_INDEX", "WSSPEC_INDEX"),
        help="one server: its agent name and both reports (repeatable)",
    )
    parser.add_argument("--markdown", metavar="FILE", help="also write a Markdown table here")
    parser.add_argument(
        "--clients",
        action="store_true",
        help="the subjects are clients (wstest -m fuzzingserver vs wsspec serve)",
    )
    args = parser.parse_args(argv)

    pairs = list(args.pair)
    if args.indexes:
        if len(args.indexes) != 2:
            parser.error("give exactly two index files (wstest, wsspec) or use --pair")
        pairs.append([None] + args.indexes)
    if not pairs:
        parser.error("nothing to compare")

    rows = []
    try:
        for name, a, b in pairs:
            wstest = load(a, name)
            wsspec = load(b, name)
            if name is None:
                with open(a if not os.path.isdir(a) else os.path.join(a, "index.json")) as f:
                    name = next(iter(json.load(f)))
            rows.append(compare(name, wstest, wsspec))
    except ReportError as e:
        print("agree.py: %s" % e, file=sys.stderr)
        return 2

    for row in rows:
        print_row(row)
    table = markdown(rows, "client" if args.clients else "server")
    print()
    print(table, end="")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            tool = "wsspec serve" if args.clients else "wsspec run"
            f.write("# wstest vs %s: agreement\n\n" % tool + table)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
