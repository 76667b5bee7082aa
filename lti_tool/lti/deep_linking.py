"""The Deep Linking response: one LtiResourceLink for the program, with a line item for the
participation grade, the program's key as a custom parameter (it comes back on every
launch of the activity) and the substitution variables for the person's groups and time zone."""

from pylti1p3.contrib.flask import FlaskRequest
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from lti_tool.lti.advantage import PARTICIPATION_TAG, Activity
from lti_tool.lti.context import PROGRAM_PARAM, SUBSTITUTIONS, LaunchContext
from lti_tool.lti.protocol import ToolMessageLaunch
from lti_tool.lti.registrations import tool_urls
from lti_tool.lti.tool_conf import DatabaseToolConf


def program_resource(program: Activity) -> DeepLinkResource:
    lineitem = (
        LineItem()
        .set_score_maximum(program.score_maximum)
        .set_label(program.title)
        .set_tag(PARTICIPATION_TAG)
        .set_resource_id(program.key)
    )
    return (
        DeepLinkResource()
        .set_url(tool_urls()["launch_url"])
        .set_title(program.title)
        .set_custom_params({PROGRAM_PARAM: program.key, **SUBSTITUTIONS})
        .set_lineitem(lineitem)
        .set_target("iframe")
    )


def response_for(launch_id: str, program: Activity) -> tuple[str, str]:
    """(deep_link_return_url, signed JWT) answering the deep-linking launch `launch_id`."""
    message = ToolMessageLaunch.restore(launch_id, FlaskRequest(), DatabaseToolConf())
    settings = LaunchContext.from_claims(message.get_launch_data()).deep_linking
    token = message.get_deep_link().get_response_jwt([program_resource(program)])
    return settings.return_url, token
