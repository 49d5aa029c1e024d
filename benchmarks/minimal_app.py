"""The floor for start-up: a minimal two-command Typer app, as `benchmarks/startup.py` uses it."""

import typer

app = typer.Typer(rich_markup_mode=None)


@app.command()
def hello(name: str) -> None:
    """Say hello."""
    typer.echo(f"Hello {name}")


@app.command()
def goodbye(name: str) -> None:
    """Say goodbye."""
    typer.echo(f"Goodbye {name}")


if __name__ == "__main__":
    app()
