"""A tool for IXON's AI agent: is a machine's temperature within the company's limit?

`@FunctionContext.expose(is_agentic=True, ...)` offers a function to the agent as a tool as well
as to UI Components (`assistant.check_temperature`). ixoncdkingress describes the tool to the
agent with JSON schemas made from the type hints, so a tool needs a description and parameter
types that pydantic understands; `invoke tools` shows what the agent sees and what is missing.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypedDict

from ixoncdkingress.function.context import FunctionContext
from ixoncdkingress.types import AppDescription
from pydantic import BaseModel, Field

#: What IXON's AI agent is told about this app: one per app, so keep it in one module.
APP_DESCRIPTION = AppDescription(
    short_name="{{ cookiecutter.function_slug }}",
    description=(
        "Checks machine temperatures against the limit each company sets, and says what "
        "to do when a machine runs too hot."
    ),
)

#: The limit in degrees Celsius when the company sets no `max_temperature` value.
DEFAULT_LIMIT = 80.0


class TemperatureReading(BaseModel):
    """A temperature measured on a machine."""

    value: float = Field(description="The measured temperature")
    unit: Literal["C", "F"] = Field(default="C", description="C for Celsius, F for Fahrenheit")


# The result is a TypedDict, not a pydantic model: ixoncdkingress sends the return value with
# json.dumps, which cannot encode a model; pydantic still makes the output schema from it.
class TemperatureCheck(TypedDict):
    """The verdict on one reading."""

    celsius: Annotated[float, Field(description="The reading in degrees Celsius")]
    limit: Annotated[float, Field(description="The company's limit in degrees Celsius")]
    too_hot: Annotated[bool, Field(description="Whether the reading is above the limit")]
    advice: Annotated[str, Field(description="What to do, in one sentence")]


@FunctionContext.expose(
    is_agentic=True,
    description=(
        "Check a machine temperature against the company's limit and say what to do. "
        "Use it when someone asks whether a machine runs too hot."
    ),
    examples=["Is 95 degrees Celsius too hot for the press?", "Check a reading of 180 F"],
)
def check_temperature(context: FunctionContext, reading: TemperatureReading) -> TemperatureCheck:
    """Compare `reading` with the `max_temperature` configuration value (Celsius)."""
    limit = float(context.config.get("max_temperature", DEFAULT_LIMIT))
    celsius = reading.value if reading.unit == "C" else (reading.value - 32) * 5 / 9
    celsius = round(celsius, 1)
    too_hot = celsius > limit
    if too_hot:
        advice = f"{celsius} °C is above the limit of {limit} °C: stop the machine and inspect it."
    else:
        advice = f"{celsius} °C is within the limit of {limit} °C: no action needed."
    return {"celsius": celsius, "limit": limit, "too_hot": too_hot, "advice": advice}
