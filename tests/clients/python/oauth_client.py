"""Connects to Alpenglow the way a remote connector does, with the official
MCP Python SDK 2.x (`mcp==2.3.0`) and its OAuth client (OAuthClientProvider).

Usage: oauth_client.py MCP_URL LOGIN API_KEY [CLIENT_METADATA_URL]

Without CLIENT_METADATA_URL the client registers itself (Dynamic Client
Registration); with it, it uses that URL as its client_id (Client ID
Metadata Document). The SDK discovers everything from the first 401. Its
redirect handler plays the browser: it fetches the authorization URL,
parses the consent form, posts the person's login and Odoo API key with the
hidden fields (and the cookie the page set), and reads the code from the
303's Location. Then: tools/list, a tools/call, a refresh (the SDK refreshes
once the access token is past its expiry), revocation of the refresh token
and the old access token refused on the next call.

Prints one line per check, 'SECRET <value>' for every token and code seen
(so the test can search the data directory for them), and a closing
'N passed, N failed'; exit 1 on any failure.
"""

import asyncio
import json
import sys
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

REDIRECT = "http://127.0.0.1:9/callback"


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"PASS oauth {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL oauth {name}: {detail}", flush=True)


class Memory:
    """TokenStorage in memory."""

    def __init__(self):
        self.tokens = None
        self.client = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens
        print(f"SECRET {tokens.access_token}")
        if tokens.refresh_token:
            print(f"SECRET {tokens.refresh_token}")

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, client_info):
        self.client = client_info


class Form(HTMLParser):
    """The consent page's form: its action and inputs."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.inputs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action")
        elif tag == "input":
            self.inputs.append(attrs)


class Browser:
    """The person at the consent page."""

    def __init__(self, login, key, checks):
        self.login = login
        self.key = key
        self.checks = checks
        self.http = httpx2.AsyncClient(follow_redirects=False, timeout=60)
        self.result = None
        self.pages = 0

    async def redirect(self, url):
        self.pages += 1
        page = await self.http.get(url)
        self.checks.check(f"consent page {self.pages} is served", page.status_code == 200, page.text[:500])
        form = Form()
        form.feed(page.text)
        fields = {}
        for field in form.inputs:
            name = field.get("name")
            if field.get("type") == "hidden":
                fields[name] = field.get("value", "")
            elif field.get("type") == "checkbox" and "checked" in field:
                fields.setdefault(name, []).append(field.get("value"))
        self.checks.check("the page asks for scopes", bool(fields.get("grant_scope")), form.inputs)
        fields["login"] = self.login
        fields["api_key"] = self.key
        fields["decision"] = "approve"
        posted = await self.http.post(urljoin(url, form.action), data=fields)
        self.checks.check("approving answers 303 to the client", posted.status_code == 303, posted.text[:500])
        location = posted.headers.get("location", "")
        query = parse_qs(urlparse(location).query)
        code = query.get("code", [None])[0]
        print(f"SECRET {code}")
        self.result = AuthorizationCodeResult(
            code=code, state=query.get("state", [None])[0], iss=query.get("iss", [None])[0]
        )

    async def callback(self):
        return self.result


def payload(result):
    structured = result.structured_content
    text = result.content[0].text if result.content else ""
    return structured if structured is not None else json.loads(text), text


async def main(url, login, key, metadata_url):
    c = Checks()
    storage = Memory()
    browser = Browser(login, key, c)
    metadata = OAuthClientMetadata(
        client_name="Alpenglow OAuth end-to-end",
        redirect_uris=[REDIRECT],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=metadata,
        storage=storage,
        redirect_handler=browser.redirect,
        callback_handler=browser.callback,
        client_metadata_url=metadata_url,
    )
    async with httpx2.AsyncClient(auth=provider, timeout=60) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            print(f"NEGOTIATED {client.protocol_version}")
            c.check("signed in through the consent page once", browser.pages == 1, browser.pages)
            registered = storage.client.client_id if storage.client else None
            if metadata_url:
                c.check("the client_id is the metadata document URL", registered == metadata_url, registered)
            else:
                c.check("the client registered itself (DCR)", bool(registered) and registered.startswith("agw_client_"), registered)
            c.check("a refresh token was issued", storage.tokens and bool(storage.tokens.refresh_token), storage.tokens)
            tools = await client.list_tools()
            names = [t.name for t in tools.tools]
            c.check("tools/list with the access token", "alpenglow_search" in names and len(names) == 10, names)
            result = await client.call_tool(
                "alpenglow_search", {"model": "res.partner", "fields": ["name"], "limit": 3, "order": "id asc"}
            )
            found, text = payload(result)
            c.check("tools/call as the signed-in user", not result.is_error and len(found["records"]) > 0, text[:300])
            print(f"RECORDS {json.dumps(found['records'])}")

            # The access token is past its expiry: the SDK refreshes first.
            before = storage.tokens
            provider.context.token_expiry_time = time.time() - 5
            result = await client.call_tool("alpenglow_list_models", {})
            c.check("a call after the expiry works", not result.is_error, result)
            after = storage.tokens
            c.check("the SDK refreshed: a new access token", after.access_token != before.access_token)
            c.check("the refresh token rotated", after.refresh_token != before.refresh_token)
            c.check("no second consent page for a refresh", browser.pages == 1, browser.pages)

            # Revocation (RFC 7009) of the refresh token ends the grant.
            revocation = str(provider.context.oauth_metadata.revocation_endpoint)
            async with httpx2.AsyncClient(timeout=60) as raw:
                revoked = await raw.post(revocation, data={"token": after.refresh_token, "client_id": registered})
                c.check("revocation answers 200", revoked.status_code == 200, revoked.text)
                body = {"jsonrpc": "2.0", "id": 1, "method": "alpenglow_list_models", "params": {}}
                refused = await raw.post(
                    url,
                    json=body,
                    headers={"Authorization": f"Bearer {after.access_token}", "Accept": "application/json"},
                )
                challenge = refused.headers.get("www-authenticate", "")
                c.check("the next call with the old access token is 401", refused.status_code == 401, refused.text)
                c.check("the 401 names the resource metadata", "resource_metadata=" in challenge, challenge)
                again = await raw.post(
                    str(provider.context.oauth_metadata.token_endpoint),
                    data={"grant_type": "refresh_token", "refresh_token": after.refresh_token, "client_id": registered},
                )
                c.check("the revoked refresh token is refused", again.status_code == 400, again.text)
    await browser.http.aclose()
    print(f"{c.passed} passed, {c.failed} failed")
    return c.failed


if __name__ == "__main__":
    args = sys.argv[1:]
    failures = asyncio.run(main(args[0], args[1], args[2], args[3] if len(args) > 3 else None))
    sys.exit(1 if failures else 0)
