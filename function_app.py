"""Azure Functions entry points: triggers and their wiring, nothing more.

The work lives in the `shared` package; see README.md for the flow.
"""

import logging

import azure.functions as func

from shared import (
    destinations_api,
    exports,
    facebook_account,
    http_api,
    oauth,
    planner,
    settings,
    worker,
)

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
log = logging.getLogger(__name__)
# The Azure SDK logs every request's URL and headers at INFO: keep it to warnings.
logging.getLogger("azure").setLevel(logging.WARNING)
# urllib3 logs each request line, query included, at DEBUG: Meta's OAuth exchanges
# and debug_token carry the app secret and tokens there (graph-api.md, "Auth").
logging.getLogger("urllib3").setLevel(logging.WARNING)

STORAGE = "AzureWebJobsStorage"


@app.route(route="exports", methods=["POST"])
def start_export(req: func.HttpRequest) -> func.HttpResponse:
    return http_api.start_export(req)


@app.route(route="exports/{run}", methods=["GET"])
def export_status(req: func.HttpRequest) -> func.HttpResponse:
    return http_api.export_status(req)


@app.route(route="facebook/connect", methods=["GET"])
def facebook_connect(req: func.HttpRequest) -> func.HttpResponse:
    return oauth.connect(req)


# Anonymous: the browser returns here from Meta's login dialog, which adds no key;
# the signed, single-use state is what authorizes the call.
@app.route(
    route="facebook/callback", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS
)
def facebook_callback(req: func.HttpRequest) -> func.HttpResponse:
    return oauth.callback(req)


@app.route(route="facebook/adaccounts", methods=["GET"])
def facebook_ad_accounts(req: func.HttpRequest) -> func.HttpResponse:
    return facebook_account.ad_accounts(req)


@app.route(route="facebook/audiences", methods=["GET"])
def facebook_audiences(req: func.HttpRequest) -> func.HttpResponse:
    return facebook_account.audiences(req)


@app.route(route="destinations", methods=["GET", "POST"])
def destinations_collection(req: func.HttpRequest) -> func.HttpResponse:
    return destinations_api.collection(req)


@app.route(route="destinations/{id}", methods=["GET", "PUT", "DELETE"])
def destination_item(req: func.HttpRequest) -> func.HttpResponse:
    return destinations_api.item(req)


@app.route(route="destinations/{id}/token", methods=["PUT"])
def destination_token(req: func.HttpRequest) -> func.HttpResponse:
    return destinations_api.token(req)


@app.route(route="destinations/{id}/status", methods=["GET"])
def destination_status(req: func.HttpRequest) -> func.HttpResponse:
    return destinations_api.status(req)


@app.timer_trigger(arg_name="timer", schedule="%EXPORT_SCHEDULE%")
def scheduled_refresh(timer: func.TimerRequest) -> None:
    started = exports.scheduled_exports(settings.load())
    log.info("scheduled refresh queued %s runs", len(started))


@app.queue_trigger(
    arg_name="msg", queue_name="%EXPORT_REQUESTS_QUEUE%", connection=STORAGE
)
def plan_export(msg: func.QueueMessage) -> None:
    planner.plan_export(settings.load(), msg.get_body().decode())


@app.queue_trigger(
    arg_name="msg", queue_name="%EXPORT_BATCHES_QUEUE%", connection=STORAGE
)
def upload_batch(msg: func.QueueMessage) -> None:
    worker.process_batch(settings.load(), msg.get_body().decode())


@app.queue_trigger(
    arg_name="msg", queue_name="%EXPORT_BATCHES_QUEUE%-poison", connection=STORAGE
)
def record_poisoned_batch(msg: func.QueueMessage) -> None:
    worker.record_poisoned(settings.load(), msg.get_body().decode())
