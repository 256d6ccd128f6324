{#- The pure part of orders/service.py, the same in both modes: included by
includes/async/orders_service.py and includes/sync/orders_service.py. -#}
def priced(data: OrderCreate) -> dict[str, Any]:
    """The order's columns, with the unit price and total the quote gives today."""
    return {
        "item": data.item,
        "qty": data.qty,
        "unit_price": unit_price(plan=data.item),
        "total": quote_total(plan=data.item, seats=data.qty),
    }
{#- No final newline in the output: the including file goes on right after `}`. -#}
