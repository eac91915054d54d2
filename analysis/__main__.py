"""Command line: `python -m analysis validate [DIR]`, `python -m analysis codebook`,
`python -m analysis fill-estimates [DIR]`, `python -m analysis run FILE [--output OUT]`."""
import sys

USAGE = """usage: python -m analysis COMMAND
  validate [DIR]        check data/ (or DIR): structure, frictionless, cross-table rules
  fill-estimates [DIR]  write each event's low / best / high into events.csv from its claims
  fold-quotes FRAGMENT.csv ... [--data DIR]
                        merge quote fragments into attestations.csv and casualty_claims.csv
  codebook              print the codebook page (MyST) generated from datapackage.json
  run FILE [--output OUT]  execute a chapter (.md) or a downloaded notebook (.ipynb), writing
                        every output to OUT (default FILE-run.ipynb beside FILE)"""


def main() -> int:
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    cmd, rest = args[0], args[1:]
    if cmd == "validate":
        from .validate import main as run
        return run(rest)
    if cmd == "fill-estimates":
        from .maintain import fill_estimates
        return fill_estimates(rest[0] if rest else None)
    if cmd == "fold-quotes":
        from .maintain import fold_quotes
        folder = None
        if "--data" in rest:
            i = rest.index("--data")
            folder, rest = rest[i + 1], rest[:i] + rest[i + 2:]
        return fold_quotes(rest, folder)
    if cmd == "codebook":
        from .codebook import main as run
        return run(rest)
    if cmd == "run":
        from .rerun import main as run
        return run(rest)
    print(USAGE, file=sys.stderr)
    return 2


sys.exit(main())
