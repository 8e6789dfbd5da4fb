"""A FastAPI backend that tells Herald about its domain events.

    HERALD_URL=http://127.0.0.1:8080 HERALD_API_KEY=… HERALD_JWT_SECRET=… \
        uvicorn fastapi_app:app --port 8000

POST /orders creates an order; its "order.created" event goes to the
customer (user) and to the admin view (channel "admin"), with the order id
as idempotency key so a retried request never notifies twice. GET /token
hands a browser its Herald token (in a real app: for the logged-in user).
"""
import os
import uuid

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from herald_client import AsyncPublisher, HeraldError, make_token

app = FastAPI(title="shop")
herald = None


class Order(BaseModel):
    customer: str
    item: str
    quantity: int = 1


@app.on_event("startup")
async def open_herald():
    global herald
    herald = AsyncPublisher(os.environ.get("HERALD_URL", "http://127.0.0.1:8080"),
                            os.environ.get("HERALD_API_KEY"))


@app.on_event("shutdown")
async def close_herald():
    await herald.close()


@app.post("/orders", status_code=201)
async def create_order(order: Order):
    order_id = "o-" + uuid.uuid4().hex[:12]
    # … the order is saved here …
    event = {"order_id": order_id, "item": order.item, "quantity": order.quantity}
    try:
        await herald.publish("order.created", event, user=order.customer,
                             idempotency_key=order_id + ":customer")
        await herald.publish("order.created", {**event, "customer": order.customer}, channel="admin",
                             idempotency_key=order_id + ":admin")
    except HeraldError as e:
        # The order exists; only the live notification failed. A real app would
        # keep it in an outbox and publish again (the keys make that safe).
        raise HTTPException(status_code=502, detail=f"order {order_id} saved, notification failed: {e}")
    return {"order_id": order_id}


@app.get("/token")
async def token(user: str, admin: bool = False):
    secret = os.environ.get("HERALD_JWT_SECRET")
    if not secret:
        raise HTTPException(status_code=503, detail="HERALD_JWT_SECRET is not set")
    return {"token": make_token(secret, user, channels=["admin"] if admin else [], ttl=3600)}
