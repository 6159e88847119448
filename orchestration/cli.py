"""The `membrana` command: run the nightly job, plan capacity, write demo data.

Every failure a user can cause ends in one line on stderr and a non-zero exit code, never a traceback.
"""

import argparse
import json
import logging
import sys
import time
import traceback
from pathlib import Path

from orchestration.lib import paths

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"membrana: {message}", file=sys.stderr)
    return code


def command_run(args: argparse.Namespace) -> int:
    paths.use_data_dir(args.data_dir or paths.data_dir())
    if not paths.data_dir().is_dir():
        return fail(f"data folder {paths.data_dir()} does not exist (set MEMBRANA_DATA_DIR)", EXIT_BAD_INPUT)
    started = time.monotonic()
    from orchestration.lib.nightly import run_nightly_job  # heavy imports only when needed

    outcome = run_nightly_job(full_refresh=args.full_refresh)
    if not outcome.success:
        return fail(f"nightly run failed: {outcome.reason}")
    from orchestration.lib.summary import kpi_summary

    print(kpi_summary(paths.published_dir(), seconds=time.monotonic() - started))
    return 0


def command_plan(argv: list[str]) -> int:
    from orchestration.lib.planner import PlanInputError, PlanInputs, parse_plan_args, plan, validate
    from orchestration.lib.summary import warehouse_plan_defaults

    try:
        given, as_json = parse_plan_args(argv)
        missing = [name for name, value in given.items() if value is None]
        defaults = warehouse_plan_defaults(paths.published_dir(), missing) if missing else {}
        inputs = PlanInputs(**{**given, **{k: v for k, v in defaults.items() if given.get(k) is None}})
        validate(inputs)
    except PlanInputError as error:
        return fail(str(error), EXIT_BAD_INPUT)
    result = plan(inputs)
    if as_json:
        print(json.dumps(result))
    else:
        width = max(len(key) for key in result)
        for key, value in result.items():
            print(f"{key:<{width}}  {value:,.1f}")
    return 0


def command_demo(args: argparse.Namespace) -> int:
    from orchestration.lib.demo_company import generate_company

    summary = generate_company(
        Path(args.out), contacts=args.contacts, years=args.years, seed=args.seed, bad_rows=not args.clean
    )
    counts = ", ".join(f"{entity} {count:,}" for entity, count in summary["rows"].items())
    print(f"demo company written to {Path(args.out).resolve()}: {counts}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="membrana",
        description="Marketing-and-sales funnel warehouse: raw CRM and ad exports in, audited KPI marts out.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="the nightly job: load → dbt build and tests → publish",
        description="Loads new files of $MEMBRANA_DATA_DIR/landing, builds and tests the marts, and publishes "
        "them to published/ when every check passed.",
    )
    run.add_argument("--data-dir", type=Path, help="data folder (default: $MEMBRANA_DATA_DIR or the demo)")
    run.add_argument("--full-refresh", action="store_true", help="rebuild every day, not only the changed ones")

    commands.add_parser(
        "plan", add_help=False,
        help="capacity planner: contacts, meetings and staff needed to fill production (see `membrana plan -h`)",
    )

    demo = commands.add_parser("demo", help="write the demo company's raw exports (deterministic)")
    demo.add_argument("--out", default=str(paths.DEMO_DATA_DIR), help="data folder to write (default: data/demo)")
    demo.add_argument("--contacts", type=int, help="total contacts to generate (default: the demo's ~2,000 a month)")
    demo.add_argument("--years", type=int, default=1, help="years of history (default 1)")
    demo.add_argument("--seed", type=int, default=20261101)
    demo.add_argument("--clean", action="store_true", help="no deliberately bad rows (for benchmarks)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.getLogger("dagster").setLevel(logging.ERROR)
    if argv and argv[0] == "plan":
        return command_plan(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return command_run(args)
        return command_demo(args)
    except KeyboardInterrupt:
        return fail("interrupted")
    except Exception as error:  # noqa: BLE001 - the last guard: one line for the user, the traceback in a log file
        log = paths.data_dir() / "membrana-error.log"
        log.write_text(traceback.format_exc())
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return fail(f"unexpected error: {first_line} (details in {log})")


if __name__ == "__main__":
    sys.exit(main())
