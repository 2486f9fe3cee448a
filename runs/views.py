"""The runs API: list, detail, metrics (anyone may read); create, cancel, resume (staff only).

Staff sign in through the admin's log-in (a session cookie; unsafe methods also need the CSRF
token, as every session-authenticated request does). Runs are public records for now: the
responses name no user and no server path. The accounts issue adds private runs and quotas.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import ApiError, invalid_input
from api.schema import error_responses
from api.serializers import ErrorResponseSerializer
from api.views import ApiView
from nn_core.hyperparameters import HyperparameterError
from runs import services
from runs.models import RunMetric, TrainingRun
from runs.serializers import (
    MAX_METRIC_ROWS,
    MetricsQuerySerializer,
    RunCreateSerializer,
    RunListQuerySerializer,
    RunListSerializer,
    RunMetricsSerializer,
    RunSerializer,
)

LARGEST_ID = 2**63 - 1
"""Ids above the database's integers are simply not found (not an overflow)."""

RUN_ID = OpenApiParameter("run_id", int, OpenApiParameter.PATH, description="The run's id.")


def _forbidden(description: str) -> dict[int, OpenApiResponse]:
    return {
        403: OpenApiResponse(
            ErrorResponseSerializer,
            description=f"{description}: not_authenticated (no staff session), "
            "permission_denied (not staff), or a missing CSRF token",
        )
    }


CONFLICT = {
    409: OpenApiResponse(
        ErrorResponseSerializer,
        description="run_state_conflict: the run's status does not allow this",
    )
}


class IsStaffToChange(BasePermission):
    """Reading is open; creating, cancelling and resuming need a staff user."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        """Safe methods for all; others for an authenticated staff user.

        A method the view does not have passes, so that it is answered 405, not 403.
        """
        method = (request.method or "").lower()
        if request.method in SAFE_METHODS or not hasattr(view, method):
            return True
        user = request.user
        return bool(user is not None and user.is_authenticated and user.is_staff)


class RunsView(ApiView):
    """Base of the runs views: session authentication, staff to change."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsStaffToChange]

    def get_run(self, run_id: int) -> TrainingRun:
        """The run, or a 404 in the envelope."""
        run = None if run_id > LARGEST_ID else TrainingRun.objects.filter(pk=run_id).first()
        if run is None:
            raise ApiError(404, "not_found", f"No run {run_id}.")
        return run


def _state_error(exc: services.RunStateError) -> ApiError:
    return ApiError(409, "run_state_conflict", str(exc))


class RunListView(RunsView):
    """`GET /runs`, `POST /runs`."""

    @extend_schema(
        operation_id="runs_list",
        auth=[],  # reading needs no session
        summary="Training runs, newest first",
        parameters=[RunListQuerySerializer],
        responses={200: RunListSerializer, **error_responses("invalid_input")},
    )
    def get(self, request: Request) -> Response:
        """A page of runs, filtered by status and tag."""
        query = RunListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        runs = TrainingRun.objects.select_related("registered_model")
        if "status" in params:
            runs = runs.filter(status=params["status"])
        if params.get("tag"):
            tag = params["tag"]
            ids = [pk for pk, tags in runs.values_list("pk", "tags") if tag in (tags or [])]
            runs = runs.filter(pk__in=ids)
        count = runs.count()
        page = runs[params["offset"] : params["offset"] + params["limit"]]
        return Response({"count": count, "runs": RunSerializer(page, many=True).data})

    @extend_schema(
        operation_id="runs_create",
        summary="Queue a training run (staff)",
        request=RunCreateSerializer,
        responses={
            201: RunSerializer,
            **error_responses("invalid_input", "malformed_json", "unsupported_media_type"),
            **_forbidden("Staff only"),
        },
    )
    def post(self, request: Request) -> Response:
        """Validate the configuration like `train_mnist` does and queue the run for a worker."""
        body = RunCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            config = services.validated_hyperparameters(data["hyperparameters"])
            tags = services.clean_tags(data["tags"])
        except HyperparameterError as exc:
            field = "tags" if exc.field == "tags" else f"hyperparameters.{exc.field}"
            raise invalid_input({field: [exc.reason]}) from exc
        run = services.create_run(
            config, user=request.user, source="api", tags=tags, notes=data["notes"]
        )
        return Response(RunSerializer(run).data, status=201)


class RunDetailView(RunsView):
    """`GET /runs/{run_id}`."""

    @extend_schema(
        operation_id="runs_detail",
        auth=[],  # reading needs no session
        summary="One training run",
        parameters=[RUN_ID],
        responses={200: RunSerializer, **error_responses("not_found")},
    )
    def get(self, request: Request, run_id: int) -> Response:
        """The run with its results so far."""
        return Response(RunSerializer(self.get_run(run_id)).data)


class RunMetricsView(RunsView):
    """`GET /runs/{run_id}/metrics`."""

    @extend_schema(
        operation_id="runs_metrics",
        auth=[],  # reading needs no session
        summary="A run's curves as rows",
        parameters=[RUN_ID, MetricsQuerySerializer],
        responses={200: RunMetricsSerializer, **error_responses("invalid_input", "not_found")},
    )
    def get(self, request: Request, run_id: int) -> Response:
        """Metric rows by name and step; `since_step` returns only the newer ones."""
        run = self.get_run(run_id)
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        rows = RunMetric.objects.filter(run=run)
        if params.get("name"):
            rows = rows.filter(name=params["name"])
        if "since_step" in params:
            rows = rows.filter(step__gt=params["since_step"])
        values = list(
            rows.order_by("name", "step", "pk").values("name", "step", "epoch", "value")[
                : MAX_METRIC_ROWS + 1
            ]
        )
        payload: dict[str, Any] = {
            "run": run.pk,
            "status": run.status,
            "metrics": values[:MAX_METRIC_ROWS],
            "truncated": len(values) > MAX_METRIC_ROWS,
        }
        return Response(payload)


class RunCancelView(RunsView):
    """`POST /runs/{run_id}/cancel`."""

    @extend_schema(
        operation_id="runs_cancel",
        summary="Cancel a run (staff)",
        parameters=[RUN_ID],
        request=None,
        responses={
            200: RunSerializer,
            **error_responses("not_found"),
            **_forbidden("Staff only"),
            **CONFLICT,
        },
    )
    def post(self, request: Request, run_id: int) -> Response:
        """A queued run is cancelled at once, a running one within a second (its curves kept)."""
        run = self.get_run(run_id)
        try:
            run = services.request_cancel(run)
        except services.RunStateError as exc:
            raise _state_error(exc) from exc
        return Response(RunSerializer(run).data)


class RunResumeView(RunsView):
    """`POST /runs/{run_id}/resume`."""

    @extend_schema(
        operation_id="runs_resume",
        summary="Resume an interrupted run (staff)",
        parameters=[RUN_ID],
        request=None,
        responses={
            202: RunSerializer,
            **error_responses("not_found"),
            **_forbidden("Staff only"),
            **CONFLICT,
        },
    )
    def post(self, request: Request, run_id: int) -> Response:
        """Queue the run again; it goes on from its last epoch checkpoint."""
        run = self.get_run(run_id)
        try:
            run = services.resume_run(run)
        except services.RunStateError as exc:
            raise _state_error(exc) from exc
        return Response(RunSerializer(run).data, status=202)
