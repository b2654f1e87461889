"""Run lava job actions from a Python worker through ``lava-actions serve``.

Standard library only. A drop-in for lava's ``do_actions``::

    from lava_actions import do_actions, ActionError

    try:
        do_actions("on_success", job_spec, realm_info, job_result, aws_session)
    except ActionError as e:
        log.error("Job %s (%s): Action failed: %s", job_id, run_id, e)

The functions use :func:`default_client` (``LAVA_ACTIONS_SERVE``: a running server's
address; unset: a private ``lava-actions serve`` started on first use). Use
:class:`Client` for more control.
"""
from typing import Any, Dict, List, Mapping, Optional

from ._client import (ACTION_KEYS, ActionError, Client, LavaActionsError, RequestError, ServerError,
                      ServerTimeout, default_client, set_default_client)
from ._encode import EncodeError, dumps

__all__ = [
    "ACTION_KEYS", "ActionError", "Client", "EncodeError", "LavaActionsError", "RequestError",
    "ServerError", "ServerTimeout", "default_client", "do_actions", "dumps", "render",
    "set_default_client", "validate",
]
__version__ = "0.1.0"


def do_actions(action_key: str, job_spec: Mapping[str, Any], realm_info: Mapping[str, Any],
               job_result: Optional[Mapping[str, Any]] = None, aws_session: Any = None) -> Dict[str, Any]:
    """Run the ``action_key`` list (on_success, on_retry, on_fail) of the job, else of the
    realm, as lava's worker does; raise ActionError (``<key> action: <type>: <message>``)
    when an action fails. ``aws_session`` is accepted and not used: the plugins use the
    server's own AWS configuration."""
    return default_client().do_actions(action_key, job_spec, realm_info, job_result, aws_session)


def render(action_key: str, job_spec: Mapping[str, Any], realm_info: Mapping[str, Any],
           job_result: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """A dry run of ``do_actions``: the report of what each action would send."""
    return default_client().render(action_key, job_spec, realm_info, job_result)


def validate(job_spec: Mapping[str, Any],
             realm_info: Optional[Mapping[str, Any]] = None) -> List[Dict[str, Any]]:
    """Check every on_* list without running anything; raise ActionError when one is invalid."""
    return default_client().validate(job_spec, realm_info)
