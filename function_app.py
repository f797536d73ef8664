"""Azure Functions entry points: triggers and their wiring, nothing more.

The work lives in the `shared` package; see README.md for the flow.
"""

import logging

import azure.functions as func

from shared import exports, http_api, planner, settings, worker

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
log = logging.getLogger(__name__)
# The Azure SDK logs every request's URL and headers at INFO: keep it to warnings.
logging.getLogger("azure").setLevel(logging.WARNING)

STORAGE = "AzureWebJobsStorage"


@app.route(route="exports", methods=["POST"])
def start_export(req: func.HttpRequest) -> func.HttpResponse:
    return http_api.start_export(req)


@app.route(route="exports/{run}", methods=["GET"])
def export_status(req: func.HttpRequest) -> func.HttpResponse:
    return http_api.export_status(req)


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
