"""`bianmin edge ...`: commands that run on a unit.

The edge package never imports the simulators: whoever assembles the CLI (the `bianmin` command
on top) hands ``create_app`` a factory for the simulated kit that `--simulated-devices` asks for.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from edge.devices.cli import print_test
from edge.private_files import private_umask
from lifecycle import stop_on_signals

if TYPE_CHECKING:
    from edge.kit import UnitKit
    from edge.settings import EdgeSettings

KitFactory = Callable[["EdgeSettings"], "UnitKit"]


def create_app(simulated_kit: KitFactory | None = None) -> typer.Typer:
    """The `edge` command group; ``simulated_kit`` makes `--simulated-devices` available."""
    app = typer.Typer(help="Commands that run on a unit.", no_args_is_help=True)
    app.command("print-test")(print_test)
    app.command()(_run_command(simulated_kit))
    app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
        supervise
    )
    return app


def supervise(
    ctx: typer.Context,
    data_dir: Annotated[
        Path, typer.Option(help="the unit's data directory (its software/ lives there)")
    ],
    trial_limit: Annotated[
        float, typer.Option(help="seconds a new version has to report healthy")
    ] = 120.0,
) -> None:
    """Run the agent (the arguments after --, e.g. `-- edge run --bundle /etc/bianmin`) from
    the installed version, and roll back a new version that does not report healthy in time."""
    from edge.update.supervisor import supervise as run_supervised

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not ctx.args:
        raise typer.BadParameter("give the agent's command after --, e.g. -- edge run ...")
    raise typer.Exit(run_supervised(ctx.args, data_dir, trial_limit_s=trial_limit))


def _run_command(simulated_kit: KitFactory | None) -> Callable[..., None]:
    def run(
        unit: Annotated[
            str | None, typer.Option(help="this unit's id (also its broker username)")
        ] = None,
        broker: Annotated[
            list[str] | None,
            typer.Option(
                "--broker",
                "--broker-url",
                help="mqtt://HOST:PORT or mqtts://HOST:PORT; repeat it for the nodes of a "
                "clustered broker, tried in this order (docs/cluster.md)",
            ),
        ] = None,
        broker_engine: Annotated[
            str | None,
            typer.Option(
                help="mqtt (Mosquitto, EMQX) or nats (a NATS cluster's MQTT gateway: QoS 0) "
                "[default: mqtt]"
            ),
        ] = None,
        data_dir: Annotated[
            Path | None,
            typer.Option(help="outbox, configuration and secrets [with --bundle: DIR/data]"),
        ] = None,
        bundle: Annotated[
            Path | None,
            typer.Option(
                help="start from a provisioning bundle (its identity.json): unit, broker, "
                "password, hub URL, key and token, window keys (docs/provisioning.md)"
            ),
        ] = None,
        password: Annotated[
            str | None, typer.Option(envvar="BIANMIN_UNIT_PASSWORD", help="broker password")
        ] = None,
        simulated_devices: Annotated[
            bool, typer.Option(help="simulated camera, pad, rating keys and printer")
        ] = False,
        rate: Annotated[float, typer.Option(help="simulated case events per second")] = 0.05,
        max_events: Annotated[
            int | None, typer.Option(help="stop simulating when the outbox holds this many")
        ] = None,
        ack_timeout: Annotated[float, typer.Option(help="seconds before resending")] = 10.0,
        keepalive: Annotated[int, typer.Option(help="MQTT keepalive in seconds")] = 30,
        health_interval: Annotated[float, typer.Option(help="seconds between heartbeats")] = 30.0,
        durable: Annotated[bool, typer.Option(help="fsync every outbox commit")] = True,
        hub_url: Annotated[
            str | None, typer.Option(help="http://HOST:PORT of the hub, for artifact downloads")
        ] = None,
        hub_key: Annotated[
            str | None,
            typer.Option(
                envvar="BIANMIN_HUB_PUBLIC_KEY", help="the hub's pinned public key (base64)"
            ),
        ] = None,
        hub_key_file: Annotated[
            Path | None, typer.Option(help="a file holding the hub's pinned public key")
        ] = None,
        hub_token: Annotated[
            str | None,
            typer.Option(envvar="BIANMIN_HUB_TOKEN", help="this unit's API token for the hub"),
        ] = None,
        kiosk_port: Annotated[
            int | None,
            typer.Option(help="run the window: case workflow + kiosk page on 127.0.0.1:PORT"),
        ] = None,
        id_key_file: Annotated[
            Path | None,
            typer.Option(
                help="the county's ID reference key, for a unit that works without the hub's "
                "blinded references (older identities, tests); units ask the hub otherwise"
            ),
        ] = None,
        template_key_file: Annotated[
            Path | None, typer.Option(help="the AES key of enrolled face templates (provisioning)")
        ] = None,
        printer: Annotated[
            str | None,
            typer.Option(
                help="simulated devices: print to tcp:HOST:PORT (default: a virtual printer)"
            ),
        ] = None,
        camera: Annotated[
            str | None, typer.Option(help="simulated devices: camera images (file, glob or video)")
        ] = None,
        face: Annotated[bool, typer.Option(help="load the face models for the window")] = True,
        window_name: Annotated[
            str | None, typer.Option(help="the window's name on slips [default: 便民服务站]")
        ] = None,
        tls_ca: Annotated[
            Path | None,
            typer.Option(help="the CA to verify an mqtts:// broker and an https:// hub with"),
        ] = None,
        tls_cert: Annotated[
            Path | None, typer.Option(help="a client certificate, when the broker asks for one")
        ] = None,
        tls_key: Annotated[Path | None, typer.Option(help="its key")] = None,
        reboot_command: Annotated[
            str | None,
            typer.Option(
                envvar="BIANMIN_REBOOT_COMMAND",
                help="what the remote `reboot` command runs, e.g. 'systemctl reboot' "
                "[default: none, the command is refused]",
            ),
        ] = None,
    ) -> None:
        """Run the unit agent until SIGTERM or Ctrl-C."""
        from edge.agent import build_agent
        from edge.bundle import identity_settings, load_identity
        from edge.link import LinkSettings
        from edge.settings import EdgeSettings

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        # python-escpos logs every connection close on the root logger at INFO: one per status poll
        logging.getLogger().handlers[0].addFilter(
            lambda record: record.levelno >= logging.WARNING or "escpos" not in record.pathname
        )
        given: dict[str, object] = {}
        if bundle is not None:
            identity = load_identity(bundle)
            for name, option in (
                ("--unit", unit), ("--broker", broker), ("--broker-engine", broker_engine),
                ("--tls-ca", tls_ca), ("--tls-cert", tls_cert), ("--tls-key", tls_key),
            ):  # fmt: skip
                if option:
                    raise typer.BadParameter(
                        "comes from the bundle; leave it out with --bundle", param_hint=name
                    )
            data_dir = data_dir or (bundle if bundle.is_dir() else bundle.parent) / "data"
            given = identity_settings(identity, data_dir)
        else:
            for name, needed in (("--unit", unit), ("--broker", broker), ("--data-dir", data_dir)):
                if not needed:
                    raise typer.BadParameter("needed (or --bundle DIR)", param_hint=name)
            assert broker is not None
            given = {
                "unit_id": unit,
                "broker_url": broker[0],
                "broker_urls": tuple(broker) if len(broker) > 1 else (),
                "broker_engine": broker_engine or "mqtt",
                "broker_password": password,
                "hub_url": hub_url,
                "hub_public_key": hub_key,
                "hub_public_key_file": hub_key_file,
                "hub_token": hub_token,
                "id_key_file": id_key_file,
                "template_key_file": template_key_file,
                "tls_ca_file": tls_ca,
                "tls_cert_file": tls_cert,
                "tls_key_file": tls_key,
            }
        if window_name is not None:
            given["window_name"] = window_name
        settings = EdgeSettings.model_validate(
            {
                **given,
                "data_dir": data_dir,
                "event_rate": rate,
                "max_events": max_events,
                "health_interval_s": health_interval,
                "durable": durable,
                "kiosk_port": kiosk_port,
                "printer": printer,
                "camera": camera,
                "face": face,
                "reboot_command": shlex.split(reboot_command) if reboot_command else None,
            }
        )
        link = LinkSettings(
            ack_timeout_s=ack_timeout,
            ack_timeout_max_s=max(ack_timeout * 8, 30.0),
            keepalive_s=keepalive,
        )

        kit: UnitKit | None = None
        if simulated_devices:
            if simulated_kit is None:
                raise typer.BadParameter(
                    "this installation has no simulators", param_hint="--simulated-devices"
                )
            kit = simulated_kit(settings)

        private_umask()  # every file the unit writes from here on is its own (0600)

        async def main() -> int:
            agent = build_agent(settings, kit=kit, link_settings=link)
            await agent.run_until(stop_on_signals())
            return agent.exit_status

        status = asyncio.run(main())
        if status:  # a switch to a new version: the supervisor starts it (edge.update)
            raise typer.Exit(status)

    return run
