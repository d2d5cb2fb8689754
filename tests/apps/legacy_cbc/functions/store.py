import ixoncdkingress.cbc.document_db_client as ddb
from ixoncdkingress.cbc.context import CbcContext


@CbcContext.expose
def count(context: CbcContext) -> int:
    client: ddb.DocumentDBClient = context.document_db_client
    return len(list(client.find({})))
