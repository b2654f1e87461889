"""Write lava action plugins in Python for the lava-actions host.

A plugin is an executable named ``lava-action-<type>`` that calls :func:`serve`::

    from lava_actions_plugin import Action, Description, Field, Kind, Render, Result, serve

    class Hello(Action):
        def describe(self):
            return Description(type="hello", version="1.0.0", fields=[
                Field("message", required=True, kind=Kind.STRING, render=Render.TEXT)])

        def execute(self, request):
            msg = request.item["message"]          # already rendered by the host
            if not request.dry_run:
                request.log.info(msg)              # reaches the host's logger
            return Result(summary=msg)

    serve(Hello())

Declared fields give lava's checks (``Missing keys: ...``, ``Unexpected keys: ...`` unless
``lenient``, kinds), before validate and again before execute; the host checks the template syntax of rendered fields when it validates
a list and renders them with lava's engine before execute (the ``host-render``
capability, added automatically when a field has a render mode).
"""
from ._action import (HOST_RENDER, PROTOCOL_VERSION, Action, ActionError, ActionLog, Config,
                      Description, Effect, Field, Kind, Render, Request, Result)
from ._checks import check_item, schema
from ._server import serve

__all__ = [
    "HOST_RENDER", "PROTOCOL_VERSION", "Action", "ActionError", "ActionLog", "Config",
    "Description", "Effect", "Field", "Kind", "Render", "Request", "Result", "check_item",
    "schema", "serve",
]
__version__ = "0.1.0"
