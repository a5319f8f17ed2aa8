from tests.test_browser_embed import *  # noqa

def test_dbg(page, live_server, host):
    url = host.page("transcript.html", iframe(f"{live_server.url}/embed/lecture?transcript=1", width=900, height=500))
    frame = open_frame(page, url)
    print(page.content())
    print(page.locator("iframe").bounding_box(), frame.locator("#transcript").bounding_box(), frame.locator(STATE).bounding_box())
    page.screenshot(path="/tmp/embedwork/dbg.png")
