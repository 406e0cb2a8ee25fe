"""The Slack channel: customers in DMs and shared channels, agents in the agents' channel (docs/slack.md).

One module per stage:

- `identity`: who is who (users, channels, trusted emails; cached) over the Web API `client`;
- `inbound`: `POST /slack/events` and Socket Mode into slack-bolt, every request stored first (`work`);
  `customers`: a customer's messages and buttons, through the router and the dialogue;
- `outbound`: `SlackChannel`, frames to customers as Slack messages (`text`);
- `agents`: the agents' channel (the ticket post: `ticket_post`), `erase`: the app's posts about an erased
  customer;
- `lifecycle`: `SlackIntegration` (everything Slack in one process), its `cleanup_ctx` and `add_slack`.
"""

from bot.channels.slack.lifecycle import SLACK, SlackIntegration, add_slack, slack_ctx
from bot.channels.slack.outbound import SlackChannel

__all__ = ["SLACK", "SlackChannel", "SlackIntegration", "add_slack", "slack_ctx"]
