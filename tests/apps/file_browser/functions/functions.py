"""IXON's default module: a UI Component calls these by bare name (`get_files`)."""

import yaml
from ixoncdkingress.function.context import FunctionContext


@FunctionContext.expose
def get_files(context: FunctionContext, httpServerName: str = "files", maxCount: int = 10) -> dict:
    """The files one HTTP server of the agent offers (camelCase names, as the component sends)."""
    folder = context.config.get("folder") or "/"
    return {"server": httpServerName, "folder": folder, "files": [], "max": int(maxCount)}


@FunctionContext.expose
def list_agents(context: FunctionContext) -> list:
    """The company's agents, through the IXON API."""
    answer = context.api_client.get("AgentList")
    return [agent["name"] for agent in answer.get("data", [])]


@FunctionContext.expose
def settings_text(context: FunctionContext) -> str:
    """The configuration as YAML (PyYAML: the workspace has it only for development)."""
    return yaml.safe_dump(dict(context.config))
