"""Allow `python -m cdap_policy`; `run` is also the `cdap-policy` command's entry point."""

import sys


def run():
    """The command line, with Ctrl-C during its own start (importing it takes a few tenths of a
    second) ending quietly like Ctrl-C at any later moment: exit 130, no traceback."""
    try:
        from cdap_policy.cli import main
    except KeyboardInterrupt:
        english = "--lang=en" in sys.argv or any(
            a == "--lang" and b == "en" for a, b in zip(sys.argv, sys.argv[1:], strict=False)
        )
        sys.stderr.write("interrupted\n" if english else "interrompu\n")
        sys.exit(130)
    main()


if __name__ == "__main__":  # pragma: no cover
    run()
