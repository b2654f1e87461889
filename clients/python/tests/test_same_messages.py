"""Done when: a Python worker calling do_actions with a real lava-shaped job (Decimals,
datetimes) sends the same messages as `lava-actions run`, read back from the endpoint."""
import datetime as dt
import decimal
import json

from lava_actions import Client, dumps

D = decimal.Decimal
TZ = dt.timezone(dt.timedelta(hours=11))


def lava_job(q1, q2):
    """A job as lava's worker holds it: DynamoDB numbers as Decimal, datetimes."""
    start = dt.datetime(2024, 3, 1, 10, 0, 0, tzinfo=TZ)
    return {
        "job_id": "demo/job1", "run_id": "run-0001", "realm": "dev", "type": "cmd",
        "worker": "core", "iteration_limit": D("1"), "max_tries": D("0"),
        "parameters": {"rows": D("1200.50"), "ratio": D("0.125"), "tags": {"b", "a"}},
        "globals": {"owner": "data-team", "lava": {"iteration": 1, "master_start": start}},
        "state": {},
        "ts_start": start,
        "ts_dispatch": start - dt.timedelta(seconds=2),
        "on_success": [
            {"action": "sqs", "queue": q1,
             "message": "{{ job.job_id }} {{ job.parameters.rows }} x{{ job.parameters.ratio }}"
                        " at {{ start }} ({{ ustart.strftime('%Y-%m-%dT%H:%M') }})"
                        " tags={{ job.parameters.tags | join(',') }} rc={{ result.exit_status }}"},
            {"action": "sqs", "queue": q2,
             "message": {"job": "{{ job.job_id }}", "rows": D("1200.50"), "iteration":
                         "{{ globals.lava.iteration }}", "ok": True, "none": None}},
            {"action": "log", "message": "done {{ job.job_id }}"},
        ],
    }


def test_do_actions_sends_what_cli_run_sends(serve, aws, cli, tmp_path):
    q1, q2 = aws.create_queue("py-text"), aws.create_queue("py-json")
    job = lava_job(q1, q2)
    realm = {"realm": "dev", "s3_temp": "s3://tb/tmp", "config": {}}
    result = {"exit_status": 0, "output": []}

    with Client(serve, timeout=60) as client:
        report = client.do_actions("on_success", job, realm, result, aws_session=object())
    assert [a["status"] for a in report["actions"]] == ["ok", "ok", "ok"]
    from_python = aws.receive(q1, 1) + aws.receive(q2, 1)

    for name, v in (("job.json", job), ("realm.json", realm), ("result.json", result)):
        (tmp_path / name).write_text(dumps(v))
    out = cli("run", "--on", "success", "--job", str(tmp_path / "job.json"),
              "--realm", str(tmp_path / "realm.json"), "--result", str(tmp_path / "result.json"))
    assert out.returncode == 0, out.stderr
    from_cli = aws.receive(q1, 1) + aws.receive(q2, 1)

    assert from_python == from_cli
    assert from_python[0] == ("demo/job1 1200.50 x0.125 at 2024-03-01 10:00:00+11:00"
                              " (2024-02-29T23:00) tags=a,b rc=0")
    assert json.loads(from_python[1]) == {"job": "demo/job1", "rows": 1200.5, "iteration": "1",
                                          "ok": True, "none": None}
