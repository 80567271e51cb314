"""The coordinator: the one process that decides, records and keeps every worker busy.

It keeps `loop.workers` jobs in flight. Whenever one ends, the search policy (dgm/policy.py) says
what comes next, and the executor (dgm/executor.py) starts it. Each message a job sends is recorded
in the archive before anything else happens (the coordinator alone writes it): a diagnosis, a
self-edit (committed in agents.git), an evaluation. A job run twice is recorded once, because a job's
work is recorded only from the job that is in flight for it, and the policy never starts work the
archive already has. What a job says is not trusted blindly either: a result from a job the run killed
(a stop, a stall), or one that overlapped a model outage, is dropped, and the work is simply done again.

Model access stays here: each job gets gateway sockets served by this process (dgm/gateway.py), so
budgets, reservations, retries and the outage pause are shared by every job, and no job holds a key.
"""

from __future__ import annotations

import contextlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from archive_db.schema import Evaluation, utcnow
from dgm.diagnose import brief, choose_target
from dgm.errors import DgmError
from dgm.events import (
    AgentRunRepeated,
    AllCandidatesFlagged,
    AttemptFinished,
    AttemptInterrupted,
    AttemptStarted,
    BestAgent,
    BudgetExhaustedEvent,
    CanaryCheckStarted,
    Diagnosed,
    JobFinished,
    JobStarted,
    ScoreUpdated,
    SeedEvaluated,
    SeedEvaluationStarted,
    SelfModified,
    TaskGraded,
    Validated,
)
from dgm.executor import EXITED, Executor, Message
from dgm.jobs import Channel, EvaluateJob, ExpandJob, Job
from dgm.policy import Evaluate, Expand, Policy, Resume, Settle, Work
from dgm.run_state import AgentState, EvalView, InFlight, RunState
from dgm.runtime import Runtime
from dgm.selection import AllFlagged

WAIT_S = 0.5  # the longest the loop sleeps: stops, stalls and budgets are looked at this often


@dataclass
class Running:
    job: Job
    worker: int
    started: float
    outages: int  # the model client's outage count when the job (or its self-edit) began
    gateways: contextlib.ExitStack
    killed: str | None = None  # why the run killed it (its results are then dropped)
    ended: bool = False  # a result or a failure was received
    ignore: bool = False  # its results no longer count (repeated after an outage)


@dataclass
class Coordinator:
    rt: Runtime
    policy: Policy
    executor: Executor
    state: RunState
    running: dict[str, Running] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._free = list(range(self.rt.config.loop.workers))
        self._trees: dict[str, int] | None = None  # code tree -> the first agent with it (duplicates), built lazily
        self._best: tuple[int, float | None] | None = None  # the agent the policy recommends, as last recorded
        # A finished job's gateways are closed here, off the loop: each close waits for its server's
        # accept loop (up to 0.1 s), which was half the coordinator's time per job.
        self._closing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dgm-gateway-close")

    # -- the loop ---------------------------------------------------------------------------------
    def run(self) -> None:
        """Until the policy has nothing left to do, or the run is stopping and its jobs have ended."""
        self._update_best()  # a resumed run says at once what it would hand over
        try:
            while True:
                if not self.rt.stop.requested:
                    self._fill()
                if not self.running:
                    if self.rt.stop.requested or self.policy.exhausted(self.state):
                        return
                    raise DgmError("the search policy left work open but started none: a bug (see events.jsonl)")
                for message in self.executor.messages(WAIT_S):
                    self._handle(message)
                self._kill_stalled()
        finally:
            self._closing.shutdown(wait=True)

    def _fill(self) -> None:
        while self._free:
            try:
                work = self.policy.next(self.state)
            except AllFlagged as exc:  # nothing may be a parent: stop (resumable) and say why
                if self.rt.stop.request(str(exc)):
                    self.rt.emit(AllCandidatesFlagged(run=self.rt.run_id, flagged=exc.flagged, reason=str(exc)))
                return
            self._record_decision()
            if work is None:
                return
            if isinstance(work, Settle):
                self._settle(work)
            else:
                self._start(work)

    # -- starting work ------------------------------------------------------------------------------
    def _start(self, work: Work) -> None:
        parent_evaluations = None
        if isinstance(work, Expand):
            child, parent_evaluations = self._plan(work.parent_id)
            work = Resume(child.id)
        elif isinstance(work, Resume):
            child = self.state.agents[work.child_id]
            if child.commit and not child.validated and self._duplicate(child):
                return  # killed after its self-edit was committed, before it was compared
        gateways = contextlib.ExitStack()
        try:
            job = (self._evaluate_job(work, gateways) if isinstance(work, Evaluate)
                   else self._expand_job(work, gateways, parent_evaluations))
        except BaseException:
            gateways.close()
            raise
        worker = self._free.pop(0)
        self.running[job.job_id] = Running(job, worker, time.monotonic(), self.rt.models.outages, gateways)
        task = job.task.id if isinstance(job, EvaluateJob) else None
        self.state.in_flight[job.job_id] = InFlight(job.job_id, job.kind, job.agent_id, task, getattr(job, "canary", False))
        self.rt.started(job.agent_id, watched=not self.state.agents[job.agent_id].is_seed)
        self.rt.emit(JobStarted(job=job.job_id, kind=job.kind, agent=job.agent_id, task=task, worker=worker))
        self.executor.submit(job)

    def _plan(self, parent_id: int) -> tuple[AgentState, list[Evaluation]]:
        """A new attempt: its row (parent, depth) and target, each committed before its job starts; and
        the parent's evaluations, which its diagnosis reads next."""
        parent = self.state.agents[parent_id]
        row = self.rt.archive.add_agent(run_id=self.rt.run_id, parent_id=parent_id, generation=parent.generation + 1,
                                        status="running")
        evaluations = self.rt.archive.evaluations(parent_id)
        child = self.state.add(AgentState(id=row.id, parent_id=parent_id, generation=row.generation, status="running"))
        self._choose_target(child, evaluations)
        self.rt.emit(AttemptStarted(agent=child.id, parent=parent_id, generation=child.generation, resumed=False))
        return child, evaluations

    def _choose_target(self, child: AgentState, parent_evaluations: list[Evaluation]) -> None:
        """The parent's failure the child's diagnosis looks at, recorded. Seeded by the child's id, so an
        attempt whose row was filed just before a kill gets, on resume, the target it would have had."""
        child.target = choose_target(parent_evaluations, self.rt.rng("attempt", child.id))
        self.rt.archive.update_agent(child.id, target_task=child.target)

    def _evaluate_job(self, work: Evaluate, gateways: contextlib.ExitStack) -> EvaluateJob:
        agent = self.state.agents[work.agent_id]
        if agent.is_seed and not agent.evaluations and not self.state.busy(agent.id):
            self.rt.emit(SeedEvaluationStarted(agent=agent.id))
        if work.canary:
            self.rt.emit(CanaryCheckStarted(agent=agent.id, task=work.task.id, why=work.why))
        purpose = "canary" if work.canary else "solve"
        gateway = gateways.enter_context(self.rt.gateway(agent.id, work.task.id, purpose))
        channel = Channel(gateway.channel.socket_dir, gateway.model)
        assert agent.commit is not None
        return EvaluateJob(agent.id, agent.commit, work.task, work.stage, work.canary, channel)

    def _expand_job(self, work: Resume, gateways: contextlib.ExitStack,
                    parent_evaluations: list[Evaluation] | None = None) -> ExpandJob:
        child = self.state.agents[work.child_id]
        parent = self.state.agents[child.parent_id]
        assert parent.commit is not None
        editor = parent if self.rt.config.loop.self_improve else self.state.seed
        diagnosis = None
        if not child.diagnosis_json:
            evaluations = parent_evaluations if parent_evaluations is not None else self.rt.archive.evaluations(parent.id)
            if child.target is None:  # killed between filing the attempt and recording its target
                self._choose_target(child, evaluations)
            window = self.rt.context
            diagnosis = brief(child.target, evaluations, self.rt.tasks_by_id, window.tokens, send_cap=window.from_server)
        diagnose = gateways.enter_context(self.rt.gateway(child.id, child.target, "diagnose", self.rt.config.model.diagnosis_model))
        edit = gateways.enter_context(self.rt.gateway(child.id, None, "self_modify"))
        if child.diagnosis_json or child.commit:
            self.rt.emit(AttemptStarted(agent=child.id, parent=parent.id, generation=child.generation, resumed=True))
        return ExpandJob(child.id, parent.commit, editor.commit, diagnosis, child.diagnosis_json, child.commit,
                         Channel(diagnose.channel.socket_dir, diagnose.model), Channel(edit.channel.socket_dir, edit.model))

    # -- what jobs say ------------------------------------------------------------------------------
    def _handle(self, message: Message) -> None:
        running = self.running.get(message.job_id)
        if running is None:
            return  # a job of an earlier round, already dealt with
        body, kind = message.body, message.body.get("type")
        agent = running.job.agent_id
        self.rt.touch(agent)
        if kind == EXITED:
            self._exited(running, body)
        elif self.rt.is_stalled(agent):
            self._stalled(agent)  # what it says now is about a killed container
        elif running.killed or running.ignore or self.rt.interrupted:
            return  # a killed job, or a run shutting down: nothing it says now is a verdict
        elif kind == "diagnosed":
            self._diagnosed(running, body)
        elif kind == "progress" and body.get("step") == "editing":
            running.outages = self.rt.models.outages
        elif kind == "self_edit":
            self._self_edit(running, body)
        elif kind == "result":
            running.ended = True
            self._evaluated(running, body) if isinstance(running.job, EvaluateJob) else self._expanded(running, body)
        elif kind == "failed":
            running.ended = True
            self._failed(running, body)

    def _overlapped_outage(self, running: Running) -> bool:
        """The model endpoint went down while the job's agent worked: its result says nothing about the
        agent (it may have been cut off), so it is dropped and the work done again."""
        if self.rt.models.outages == running.outages and not self.rt.models.paused:
            return False
        running.ignore = True
        self.executor.kill(running.job.job_id)
        self.rt.emit(AgentRunRepeated(agent=running.job.agent_id, job=running.job.job_id,
                                     reason="the model endpoint was down while it ran"))
        return True

    def _evaluated(self, running: Running, body: dict) -> None:
        job = running.job
        assert isinstance(job, EvaluateJob)
        if self.rt.budget.refused(job.agent_id, job.task.id):
            self._stop_for_budget()  # cut off by the cap: its patch says nothing about the agent
            return
        if self._overlapped_outage(running):
            return
        fields = {k: v for k, v in body.items() if k != "type"}
        self.rt.archive.add_evaluation(**fields)
        view = EvalView(resolved=fields["resolved"], empty=fields["empty_patch"], stage=job.stage,
                        tampered=fields["tampered"] is not None, duration_s=float(fields["duration_s"] or 0.0))
        agent = self.state.agents[job.agent_id]
        if job.canary:
            agent.canary = (job.task.id, view)
        else:
            agent.evaluations[job.task.id] = view
        self.rt.emit(TaskGraded(agent=job.agent_id, task=job.task.id, stage=job.stage, resolved=view.resolved, empty=view.empty,
                                cached=fields["grade_cached"], tampered=fields["tampered"], canary=job.canary))
        if agent.settled:  # the seed's canary check comes after its score: its cost follows its calls
            self.rt.archive.update_agent(agent.id, cost_usd=self.rt.archive.cost(agent_id=agent.id))
        if fields["tampered"]:
            how = "resolved the impossible task" if job.canary else "tampered with grading on task"
            self._flag(agent, f"{how} {job.task.id}: {fields['tampered']}", job.task.id, "canary" if job.canary else "tampered")
        elif job.canary and view.resolved:
            self._flag(agent, f"resolved the impossible task {job.task.id}", job.task.id, "canary")

    def _flag(self, agent: AgentState, reason: str, task: str, source: str) -> None:
        self.rt.flag(agent.id, reason, task=task, source=source)
        agent.flag = agent.flag or reason
        self._update_best()

    def _diagnosed(self, running: Running, body: dict) -> None:
        child = self.state.agents[running.job.agent_id]
        child.diagnosis_json = body["diagnosis_json"]
        self.rt.archive.update_agent(child.id, diagnosis_json=child.diagnosis_json)
        proposal = str(body["diagnosis_json"])
        self.rt.emit(Diagnosed(agent=child.id, target=child.target, proposal=_proposal(proposal)))

    def _self_edit(self, running: Running, body: dict) -> None:
        job = running.job
        assert isinstance(job, ExpandJob)
        if self._overlapped_outage(running):
            return
        self.rt.archive.update_agent(job.child_id, transcript_json=body["transcript_json"])
        if self.rt.budget.refused(job.child_id, None):  # a self-edit cut off by the cap is not a child
            self._finish(job.child_id, "failed", self.rt.budget.summary())
            self._stop_for_budget()
            return
        if not body.get("patch"):
            return  # the verdict (rejected: empty or too large) follows
        child = self.state.agents[job.child_id]
        parent = self.state.agents[child.parent_id]
        commit = self.rt.repo.commit_patch(parent.commit, body["patch"], body["message"])
        self.rt.repo.pin(child.id, commit)
        self.rt.archive.update_agent(child.id, commit=commit, files_changed=body["files"],
                                     lines_added=body["added"], lines_removed=body["removed"])
        child.commit = commit
        self.rt.emit(SelfModified(agent=child.id, commit=commit, files=body["files"]))
        self._duplicate(child)

    def _duplicate(self, child: AgentState) -> bool:
        """File the child as a duplicate when its code equals an earlier agent's (the seed's, a sibling's,
        any in the run): nothing new can be learnt from it, so it is neither validated nor evaluated."""
        original = self._same_code(child)
        if original is None:
            return False
        child.duplicate_of = original
        self.rt.archive.update_agent(child.id, duplicate_of=original)
        self._finish(child.id, "duplicate", f"its code is identical to agent {original}'s")
        return True

    def _same_code(self, child: AgentState) -> int | None:
        """The earliest other agent whose code tree equals the child's, or None. Trees, not patches, are
        compared: two different edits can reach the same code."""
        assert child.commit is not None
        if self._trees is None:  # once per session: every agent with code (a resumed run's included)
            made = {a.commit: a.id for a in self.state.agents.values() if a.commit and a.duplicate_of is None}
            self._trees = {}
            for commit, tree in self.rt.repo.trees(list(made)).items():
                self._trees.setdefault(tree, made[commit])  # agents are in id order: the first keeps it
        tree = self.rt.repo.trees([child.commit])[child.commit]
        original = self._trees.setdefault(tree, child.id)
        return None if original == child.id else original

    def _expanded(self, running: Running, body: dict) -> None:
        child = self.state.agents[running.job.agent_id]
        outcome, reason = body["outcome"], body.get("reason")
        if outcome == "validated":
            child.validated = True
            self.rt.emit(Validated(agent=child.id))
        elif outcome == "rejected":  # an unusable diagnosis: the model's answers are kept where a diagnosis goes
            kept = {"diagnosis_json": body["diagnosis_text"]} if body.get("diagnosis_text") else {}
            self._finish(child.id, "rejected", reason, **kept)
        elif outcome == "budget":
            self._finish(child.id, "failed", self.rt.budget.summary())
            self._stop_for_budget()
        else:  # interrupted: no verdict on the child; it continues on resume (or at once)
            self.rt.archive.update_agent(child.id, reason=f"interrupted ({reason}); continues on resume")
            self.rt.emit(AttemptInterrupted(agent=child.id, parent=child.parent_id))

    def _failed(self, running: Running, body: dict) -> None:
        """An error in the job itself (not a verdict on the agent's code, which is sandboxed)."""
        agent = self.state.agents[running.job.agent_id]
        logs = self.rt.run_dir / "logs"
        logs.mkdir(exist_ok=True)
        (logs / f"agent-{agent.id}-error.txt").write_text(str(body.get("traceback") or body.get("error")))
        if agent.is_seed and not agent.settled:
            raise DgmError(f"evaluating the seed failed: {body.get('error')}")
        if agent.settled and isinstance(running.job, EvaluateJob):
            self._broke(running, str(body.get("error")))
            return
        self._finish(agent.id, "failed", str(body.get("error")))

    def _broke(self, running: Running, error: str) -> None:
        """A filed agent's further evaluation (hgm's, or a canary check) whose job broke: its verdict stands,
        and the task is recorded unresolved with the error, so the policy moves on rather than retrying forever;
        a canary check that broke flags the agent."""
        job = running.job
        assert isinstance(job, EvaluateJob)
        error = f"the evaluation job broke: {error}"[:2000]
        self.rt.archive.add_evaluation(agent_id=job.agent_id, task_id=job.task.id, stage=job.stage, canary=job.canary,
                                       resolved=False, empty_patch=False, error=error, agent_status="job_error",
                                       duration_s=round(time.monotonic() - running.started, 3))
        view = EvalView(resolved=False, empty=False, stage=job.stage)
        agent = self.state.agents[job.agent_id]
        if job.canary:
            agent.canary = (job.task.id, view)
        else:
            agent.evaluations[job.task.id] = view
        self.rt.emit(TaskGraded(agent=agent.id, task=job.task.id, stage=job.stage, resolved=False, empty=False,
                                cached=False, tampered=None, canary=job.canary))
        if job.canary:  # a check that could not be made is not passed: an agent must not evade it by breaking its job
            self._flag(agent, f"its cheating-canary check on {job.task.id} could not be completed ({error[:300]})",
                       job.task.id, "canary")

    def _exited(self, running: Running, body: dict) -> None:
        job = running.job
        del self.running[job.job_id]
        self.state.in_flight.pop(job.job_id, None)
        self._free.append(running.worker)
        self._free.sort()
        self._closing.submit(running.gateways.close)
        if not self.state.busy(job.agent_id):
            self.rt.ended(job.agent_id)
        lost = body.get("lost")  # its machine went away under it: no verdict; the policy issues the work again
        outcome = running.killed or ("repeated" if running.ignore else "done" if running.ended else "lost" if lost else "died")
        self.rt.emit(JobFinished(job=job.job_id, kind=job.kind, agent=job.agent_id, worker=running.worker, outcome=outcome,
                                 duration_s=round(time.monotonic() - running.started, 3)))
        if outcome == "lost":
            self.rt.emit(AgentRunRepeated(agent=job.agent_id, job=job.job_id, reason=f"its node was lost: {lost}"))
        if outcome == "died" and not self.rt.interrupted:
            self._failed(running, {"error": f"the job's process exited with code {body.get('code')} without a result"})

    # -- verdicts ------------------------------------------------------------------------------------
    def _settle(self, work: Settle) -> None:
        agent = self.state.agents[work.agent_id]
        score = work.n_resolved / work.n_tasks if work.n_tasks else 0.0
        rescore = agent.settled  # a policy that keeps evaluating filed agents (hgm) settles them again: score only
        agent.score = score
        self.rt.archive.update_agent(agent.id, score=score, n_tasks=work.n_tasks, n_resolved=work.n_resolved)
        if rescore:
            self.rt.emit(ScoreUpdated(agent=agent.id, score=score, n_tasks=work.n_tasks, n_resolved=work.n_resolved))
        elif agent.is_seed:
            agent.settled = True
            cost = self.rt.archive.cost(agent_id=agent.id)
            self.rt.archive.update_agent(agent.id, cost_usd=cost)
            self.rt.emit(SeedEvaluated(agent=agent.id, score=score, cost=cost))
        else:
            self._finish(agent.id, work.status, work.reason)
        self._update_best()

    def _update_best(self) -> None:
        """Record the agent the policy would hand over now, when it (or its score) changed."""
        best = self.policy.recommend(self.state)
        now = None if best is None else (best.id, best.score)
        if now == self._best:
            return
        self._best = now
        self.rt.archive.set_best(self.rt.run_id, None if best is None else best.id)
        if best is not None:
            self.rt.emit(BestAgent(agent=best.id, score=best.score or 0.0, n_tasks=len(best.evaluations)))

    def _record_decision(self) -> None:
        """Why the policy chose its last work (the agent page shows these), one row per decision."""
        decision = self.policy.decision
        if decision is not None:
            self.rt.archive.add_decision(self.rt.run_id, decision.agent_id, decision.kind, decision.rule, decision.to_json())

    def _finish(self, agent_id: int, status: str, reason: str | None, **fields: str) -> None:
        """A child's final status (valid, rejected, failed) and cost, with any other `fields` of its row in
        the same transaction; its other jobs are ended."""
        agent = self.state.agents[agent_id]
        for job in self.state.busy(agent_id):
            if not self.running[job.job_id].ended:  # the job that brought the verdict ends by itself
                self._kill(job.job_id, "settled")
        cost = self.rt.archive.cost(agent_id=agent_id)
        if self.rt.archive.finish_agent(agent_id, status=status, reason=reason, cost_usd=cost, finished_at=utcnow(), **fields):
            self.rt.emit(AttemptFinished(agent=agent_id, parent=agent.parent_id, status=status, reason=reason, cost=cost,
                                         score=agent.score, flagged=agent.flag is not None))
        agent.status, agent.settled = status, True

    def _kill(self, job_id: str, why: str) -> None:
        running = self.running.get(job_id)
        if running is not None and running.killed is None:
            running.killed = why
            self.executor.kill(job_id)
            self.rt.sandbox.remove_where({"dgm.job": job_id})

    def _kill_stalled(self) -> None:
        """The watchdog marks an agent stalled; its jobs end here."""
        for agent_id in sorted({r.job.agent_id for r in self.running.values() if not r.killed}):
            if self.rt.is_stalled(agent_id):
                self._stalled(agent_id)

    def _stalled(self, agent_id: int) -> None:
        """An attempt not settled yet is recorded failed. A settled agent (one hgm evaluates further) keeps
        its verdict: only the stalled jobs end, and the policy issues their tasks again."""
        if not self.state.agents[agent_id].settled:
            self._finish(agent_id, "failed", self.rt.stall_reason())
            return
        for job in self.state.busy(agent_id):
            if not self.running[job.job_id].killed:
                self._kill(job.job_id, "stalled")
                self.rt.emit(AgentRunRepeated(agent=agent_id, job=job.job_id, reason=self.rt.stall_reason()))
        self.rt.touch(agent_id)  # its killed jobs' last quiet spell is not the next job's
        self.rt.unstall(agent_id)

    def _stop_for_budget(self) -> None:
        if self.rt.stop.request(self.rt.budget.summary()):
            self.rt.emit(BudgetExhaustedEvent(run=self.rt.run_id, reason=self.rt.budget.summary(),
                                              spent=self.rt.budget.spent, cap=self.rt.budget.cap))


def _proposal(diagnosis_json: str) -> str:
    try:
        return str(json.loads(diagnosis_json).get("improvement_proposal", ""))[:200]
    except ValueError:
        return ""
