"""``corridor witness``: run a witness for someone else's log. No Django, no Corridor database."""

from __future__ import annotations

from pathlib import Path

import click

from corridor.cli import UserError


@click.group()
def witness() -> None:
    """Run an independent witness (C2SP tlog-witness) that co-signs a log's checkpoints. See docs/evidence.md."""


@witness.command("init")
@click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The witness's own data directory.",
)
@click.option("--name", help="The witness's name, e.g. witness.example.org/corridor (default: derived from its key).")
@click.option(
    "--log",
    "logs",
    multiple=True,
    help="A log to follow: its verifier key (corridor checkpoint --print-key). Repeatable.",
)
def init(data: Path, name: str | None, logs: tuple[str, ...]) -> None:
    """Create the witness's key and settings in DATA (or add logs to follow); print the witness key to publish."""
    from corridor.ledger import checkpoints, cosignatures
    from corridor.ledger import witness as service

    try:
        key = service.init(data, name=name, logs=list(logs))
    except (service.WitnessError, checkpoints.CheckpointError, cosignatures.NoteError) as exc:
        raise UserError(str(exc)) from None
    click.echo(key.encode())


@witness.command("serve")
@click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The witness's data directory.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8720, show_default=True)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for every interface)."
)
def serve(data: Path, port: int, host: str) -> None:
    """Answer POST /add-checkpoint and GET /<origin hash>/checkpoint until stopped."""
    from corridor.ledger import checkpoints
    from corridor.ledger import witness as service

    try:
        state = service.Witness(data)
    except (service.WitnessError, checkpoints.CheckpointError) as exc:
        raise UserError(str(exc)) from None
    try:
        server = service.make_server(state, host, port)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    click.echo(service.describe(state))
    click.echo(f"listening on http://{host}:{server.server_address[1]}/", err=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
