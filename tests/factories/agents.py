from premura.agents.models import Agent, Role, Team
from premura.agents.services import create_agent


def make_agent(
    username: str, display_name: str, *, role: str = Role.AGENT, team: Team | None = None
) -> Agent:
    return create_agent(
        username=username,
        password="premura-test-pw",
        display_name=display_name,
        team=team,
        role=role,
        signature=f"{display_name}\nServizio clienti Bottega Premura",
    )
