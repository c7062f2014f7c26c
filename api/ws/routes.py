"""The /ws endpoint. The socket signs in by itself (token in the first message or the handshake's
Authorization header), so the route's policy records that rule and the session enforces it."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from api.ws.hub import Hub
from api.ws.session import Session
from core.http.policies import AUTH_IN_FIRST_MESSAGE
from core.http.resources import Resources

router = APIRouter()


@router.websocket("/ws", dependencies=[AUTH_IN_FIRST_MESSAGE])
async def live_channel(websocket: WebSocket) -> None:
    hub: Hub = websocket.app.state.hub
    resources: Resources = websocket.app.state.resources
    await Session(websocket, hub, resources.settings, resources.sessionmaker).run()
