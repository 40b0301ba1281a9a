"""The chat endpoints in the OpenAPI document, as client developers read them."""


def test_chat_endpoints_are_documented_with_their_answers(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    create = paths["/api/chat/rooms/"]["post"]
    assert set(create["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"200", "201", "400", "401"} <= set(create["responses"])
    assert create["security"] == [{"bearerAuth": []}]
    upload = paths["/api/chat/files/"]["post"]
    assert set(upload["requestBody"]["content"]) == {"multipart/form-data"}
    assert "413" in upload["responses"]
    remove = paths["/api/chat/members/{room_id}/remove_member/"]["post"]
    assert {"200", "400", "401", "403", "404"} <= set(remove["responses"])
    assert "404" in paths["/api/chat/message/{room_id}/list_by_room/"]["get"]["responses"]
