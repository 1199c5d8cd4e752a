"""Commands module endpoints (mod_commands.asciidoc, "Interfaces and endpoints").

* Receiver (our CPO): ``POST {commands}/{command}`` with the command object; answered with a CommandResponse
  (HTTP 200; OCPI 2003 with a REJECTED CommandResponse for an unknown location, as the spec's flow shows).
* Sender (our eMSP): ``POST {commands}/{command}/{token}``, the ``response_url`` we gave with each command, where
  the CPO posts the CommandResult; only that CPO may (anyone else: 404, as for any URL that is not theirs).
"""

from roaming.commands.ocpi.serializers import command_type_from_url, validate_command, validate_command_result
from roaming.commands.services import cpo, emsp
from roaming.ocpi.exceptions import OcpiError
from roaming.ocpi.views import OcpiView


class CommandRefused(OcpiError):
    """A refusal with a status code of its own and the CommandResponse as data (HTTP 200: the request reached the
    OCPI layer, status_codes.asciidoc)."""


def emsp_parties(caller) -> set[tuple[str, str]]:
    return {(cc.upper(), pid.upper()) for cc, pid, role in caller.roles if role.upper() == "EMSP"}


class CommandReceiverView(OcpiView):
    ocpi_module = "commands"

    def post(self, request, command: str):
        parties = emsp_parties(self.caller)
        if not parties:
            raise OcpiError("only a partner with an eMSP role may send commands")
        command_type = command_type_from_url(command)
        data = validate_command(command_type, request.data)
        raw = request.data[0] if isinstance(request.data, list) else request.data
        answer = cpo.command_receive(
            partner_id=self.caller.partner_id,
            emsp_parties=parties,
            command_type=command_type,
            data=data,
            raw=raw,
        )
        if answer.status_code != 1000:
            error = CommandRefused(answer.message, data=answer.to_ocpi())
            error.status_code = answer.status_code
            raise error
        return self.ok(answer.to_ocpi())


class CommandResultView(OcpiView):
    ocpi_module = "commands"

    def post(self, request, command: str, token: str):
        command_type = command_type_from_url(command)
        data = validate_command_result(request.data)
        emsp.command_result_received(
            partner_id=self.caller.partner_id, command_type=command_type, response_token=token, data=data
        )
        return self.ok()
