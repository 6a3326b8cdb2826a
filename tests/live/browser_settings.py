"""Settings for the browser journey's server: the project's, plus a stand-in case page.

The agent case page belongs to the desk; until it is on main, the journey opens a page
that renders the same include the desk page will (templates/live/_case_presence.html).
"""

from helpdesk.settings import *  # noqa: F401,F403

ROOT_URLCONF = "tests.live.browser_urls"
